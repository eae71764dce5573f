using FedMesh.Protocol.Deltas;

namespace FedMesh.Protocol.Tests.Deltas;

public class SequenceTrackerTests
{
    private static byte[] Origin(byte b) => Enumerable.Repeat(b, 32).ToArray();

    [Fact]
    public void Sequences_must_strictly_increase_per_origin()
    {
        var tracker = new SequenceTracker();
        tracker.Commit(Origin(1), 10);
        tracker.EnsureFresh(Origin(2), 0); // another origin is independent
        Assert.Equal(ProtocolErrorCode.StaleSequence, Assert.Throws<ProtocolException>(() => tracker.Commit(Origin(1), 10)).Code);
        Assert.Equal(ProtocolErrorCode.StaleSequence, Assert.Throws<ProtocolException>(() => tracker.EnsureFresh(Origin(1), 9)).Code);
        tracker.Commit(Origin(1), 11);
        Assert.Equal(11UL, tracker.LastAccepted(Origin(1)));
        Assert.Null(tracker.LastAccepted(Origin(2)));
    }

    [Fact]
    public void State_survives_save_and_load_so_replays_stay_refused_after_restart()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"fedmesh-seq-{Guid.NewGuid():N}");
        try
        {
            var tracker = new SequenceTracker();
            tracker.Commit(Origin(1), 7);
            tracker.Commit(Origin(2), ulong.MaxValue);
            string path = Path.Combine(dir, "sequences.bin");
            tracker.Save(path);

            SequenceTracker loaded = SequenceTracker.Load(path);
            Assert.Equal(2, loaded.Count);
            Assert.Equal(7UL, loaded.LastAccepted(Origin(1)));
            Assert.Throws<ProtocolException>(() => loaded.EnsureFresh(Origin(2), ulong.MaxValue));
            Assert.Equal(0, SequenceTracker.Load(Path.Combine(dir, "absent.bin")).Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Corrupt_state_is_rejected_with_a_reason()
    {
        var tracker = new SequenceTracker();
        tracker.Commit(Origin(1), 7);
        byte[] bytes = tracker.Serialize();
        for (int n = 0; n < bytes.Length; n++)
        {
            Assert.Throws<ProtocolException>(() => SequenceTracker.Deserialize(bytes[..n]));
        }

        byte[] twice = [0x92, .. bytes[1..], .. bytes[1..]];
        Assert.Contains("twice", Assert.Throws<ProtocolException>(() => SequenceTracker.Deserialize(twice)).Message, StringComparison.Ordinal);
    }
}
