using System.Security.Cryptography;
using FedMesh.Node.Gossip;
using FedMesh.Protocol.Identity;

namespace FedMesh.Node.Tests.Gossip;

public class PullSchedulerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PeerId A = NewPeer(), B = NewPeer(), C = NewPeer();

    private static PeerId NewPeer() => PeerId.FromPublicKey(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void A_delta_announced_by_many_peers_is_pulled_once()
    {
        var s = new PullScheduler();
        Assert.Equal([new PullRequest("d1", A, false)], s.OnAnnounced("d1", A, T0));
        Assert.Empty(s.OnAnnounced("d1", B, T0));
        Assert.Empty(s.OnAnnounced("d1", C, T0));
        Assert.Equal(1, s.InFlight);
        Assert.Empty(s.OnFinished("d1", T0));
        Assert.Empty(s.OnAnnounced("d1", B, T0));
        Assert.True(s.IsDone("d1"));
        Assert.Equal(0, s.InFlight);
    }

    [Fact]
    public void A_stalled_pull_resumes_from_the_next_announcer()
    {
        var s = new PullScheduler(PullOptions.Default with { StallTimeout = TimeSpan.FromSeconds(5) });
        s.OnAnnounced("d1", A, T0);
        s.OnAnnounced("d1", B, T0);
        s.OnProgress("d1", T0.AddSeconds(1));
        Assert.Empty(s.OnTick(T0.AddSeconds(5)));
        Assert.Equal([new PullRequest("d1", B, true)], s.OnTick(T0.AddSeconds(6)));
    }

    [Fact]
    public void A_vanished_source_hands_its_pulls_to_other_announcers()
    {
        var s = new PullScheduler();
        s.OnAnnounced("d1", A, T0);
        s.OnAnnounced("d1", C, T0);
        s.OnAnnounced("d2", A, T0);
        IReadOnlyList<PullRequest> next = s.OnPeerGone(A, T0);
        Assert.Equal([new PullRequest("d1", C, false)], next);
        Assert.Equal(1, s.InFlight);
        Assert.Equal(1, s.Pending);
    }

    [Fact]
    public void Concurrency_is_bounded_and_waiting_pulls_start_when_one_finishes()
    {
        var s = new PullScheduler(PullOptions.Default with { MaxConcurrent = 2 });
        Assert.Single(s.OnAnnounced("d1", A, T0));
        Assert.Single(s.OnAnnounced("d2", A, T0));
        Assert.Empty(s.OnAnnounced("d3", A, T0));
        Assert.Equal(2, s.InFlight);
        Assert.Equal([new PullRequest("d3", A, false)], s.OnFinished("d1", T0));
    }

    [Fact]
    public void A_failed_source_is_not_asked_again_for_that_delta()
    {
        var s = new PullScheduler();
        s.OnAnnounced("d1", A, T0);
        s.OnAnnounced("d1", B, T0);
        Assert.Equal([new PullRequest("d1", B, false)], s.OnSourceFailed("d1", A, T0));
        Assert.Empty(s.OnAnnounced("d1", A, T0));
        Assert.Empty(s.OnSourceFailed("d1", B, T0));
        Assert.Equal(0, s.Pending);
        Assert.False(s.IsDone("d1"));
    }

    [Fact]
    public void Pending_announcements_are_bounded()
    {
        var s = new PullScheduler(PullOptions.Default with { MaxPending = 3, MaxConcurrent = 1 });
        for (int i = 0; i < 10; i++)
        {
            s.OnAnnounced($"d{i}", A, T0);
        }

        Assert.Equal(3, s.Pending);
    }
}
