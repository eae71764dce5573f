using FedMesh.Protocol.Security;
using FedMesh.Protocol.Transport;

namespace FedMesh.Node.Tests.Bench;

/// <summary>The transfer probe behind <c>fedmesh-bench transfer</c> (moved with it out of the protocol library).</summary>
public sealed class TransferProbeTests : IDisposable
{
    /// <summary>Generous wall-clock guard so a bug shows as a failure, never as a hung test run.</summary>
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(30));

    public void Dispose() => _guard.Dispose();

    [Fact]
    public async Task Transfer_probe_delivers_the_requested_bytes_over_loopback()
    {
        const long bytes = 3L * TransferProbe.ChunkBytes + 12345;
        TransferMeasurement secure = await TransferProbe.SecureAsync(bytes, cancellationToken: _guard.Token);
        Assert.Equal(bytes, secure.Bytes);
        Assert.NotEqual(CipherSuite.None, secure.Suite);
        Assert.Equal(bytes, (await TransferProbe.PlainAsync(bytes, cancellationToken: _guard.Token)).Bytes);
    }

    [Fact]
    public async Task Plain_copy_probe_delivers_an_exact_copy_of_the_payload_and_wants_a_matching_destination()
    {
        byte[] payload = new byte[(2 * TransferProbe.ChunkBytes) + 777];
        new Random(5).NextBytes(payload);
        byte[] copy = new byte[payload.Length];

        TransferMeasurement measurement = await TransferProbe.PlainCopyAsync(payload, copy, cancellationToken: _guard.Token);

        Assert.Equal(payload.Length, measurement.Bytes);
        Assert.Equal(CipherSuite.None, measurement.Suite);
        Assert.Equal(payload, copy);
        await Assert.ThrowsAsync<ArgumentException>(() => TransferProbe.PlainCopyAsync(payload, new byte[payload.Length - 1], cancellationToken: _guard.Token));
    }
}
