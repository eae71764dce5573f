using System.Diagnostics;
using System.Globalization;

namespace FedMesh.NetSim.Tests.Lab;

/// <summary>
/// The nodes' stand-in program (a TCP sink that answers with the byte count it received) and a client that runs
/// inside a node's namespace, so tests check real traffic across the lab's bridge and faults.
/// </summary>
internal static class LabProbe
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Listens on argv[1]:argv[2]; per connection reads to EOF and replies with the count.</summary>
    public const string SinkScript = """
        import socket, sys
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sys.argv[1], int(sys.argv[2])))
        s.listen(16)
        while True:
            c, _ = s.accept()
            n = 0
            while True:
                b = c.recv(65536)
                if not b:
                    break
                n += len(b)
            c.sendall(str(n).encode())
            c.close()
        """;

    /// <summary>Sends argv[3] bytes to argv[1]:argv[2] with a timeout of argv[4] s; prints seconds taken, or "fail".</summary>
    private const string ClientScript = """
        import socket, sys, time
        host, port, size, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        try:
            t = time.monotonic()
            c = socket.create_connection((host, port), timeout=timeout)
            c.settimeout(timeout)
            c.sendall(b"x" * size)
            c.shutdown(socket.SHUT_WR)
            reply = c.recv(64)
            ok = reply == str(size).encode()
            print("%f" % (time.monotonic() - t) if ok else "fail")
        except OSError:
            print("fail")
        """;

    /// <summary>
    /// 0.5 s: a connect across the bridge takes well under a millisecond, so a blocked path is told apart quickly
    /// while a loaded machine still has time to answer.
    /// </summary>
    public static readonly TimeSpan BlockedTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Sends <paramref name="bytes"/> from inside <paramref name="fromNamespace"/>; returns the seconds taken, or null on failure.</summary>
    public static double? Send(string fromNamespace, string address, int port, int bytes, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[]
        {
            "netns", "exec", fromNamespace, Python, "-c", ClientScript, address, port.ToString(CultureInfo.InvariantCulture),
            bytes.ToString(CultureInfo.InvariantCulture), timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return double.TryParse(output, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) ? seconds : null;
    }

    /// <summary>One byte across; false when it does not arrive within <see cref="BlockedTimeout"/>.</summary>
    public static bool Reaches(string fromNamespace, string address, int port) =>
        Send(fromNamespace, address, port, 1, BlockedTimeout) is not null;

    /// <summary>
    /// Tries up to 20 times (0.1 s apart at most 2 s after a failure) until a byte gets across: right after a start,
    /// heal or restart the sink may not listen yet.
    /// </summary>
    public static bool EventuallyReaches(string fromNamespace, string address, int port)
    {
        const int Attempts = 20;
        for (int i = 0; i < Attempts; i++)
        {
            if (Reaches(fromNamespace, address, port))
            {
                return true;
            }

            Thread.Sleep(100);
        }

        return false;
    }
}
