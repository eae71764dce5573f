using System.Runtime.InteropServices;

namespace FedMesh.NetSim.Lab.Cli;

/// <summary>
/// Turns the first SIGINT or SIGTERM into a cancellation of <see cref="Token"/> and keeps the process alive, so a
/// lab command can roll back or tear down what it made (a killed <c>up</c> would leave namespaces behind). Without
/// this, the runtime's default for SIGTERM ends the process at once. A second signal is let through, so an
/// impatient user can still force the exit.
/// </summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _signals;

    public SignalCancellation(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            context.Cancel = true;
            _source.Cancel();
        }
    }
}
