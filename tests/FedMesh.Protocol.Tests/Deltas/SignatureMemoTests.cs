using FedMesh.Protocol.Deltas;
using FedMesh.Protocol.Messages;
using NSec.Cryptography;

namespace FedMesh.Protocol.Tests.Deltas;

/// <summary>
/// <see cref="SignatureMemo"/>: netsim's thousand nodes share one so each delta's Ed25519 check runs once. It may only
/// ever answer for the exact bytes it saw valid; anything else is verified in full.
/// </summary>
public class SignatureMemoTests
{
    private static readonly Key Origin = TestDeltas.KeyFromSeed(1);

    private static SignedDelta Create(SignatureMemo? memo, ulong sequence = 1) =>
        TestDeltas.Signed(Origin, sequence, seed: (int)sequence, memo: memo).Delta;

    [Fact]
    public void A_signature_the_memo_holds_is_answered_from_it_and_the_delta_is_the_same()
    {
        var memo = new SignatureMemo();
        SignedDelta sent = Create(memo);
        Assert.Equal(1, memo.Count);

        SignedDelta first = SignedDelta.Verify(sent.Message, TestDeltas.Local, memo: memo);
        SignedDelta second = SignedDelta.Verify(sent.Message, TestDeltas.Local, Origin.PublicKey, memo);

        Assert.Equal(2, memo.Hits);
        Assert.Equal(sent.ContentId, first.ContentId);
        Assert.Equal(sent.ContentId, second.ContentId);
    }

    [Fact]
    public void A_first_verification_is_remembered_for_the_next_receiver()
    {
        SignedDelta sent = Create(memo: null);
        var memo = new SignatureMemo();

        SignedDelta.Verify(sent.Message, TestDeltas.Local, memo: memo);
        Assert.Equal(0, memo.Hits);
        Assert.Equal(1, memo.Count);
        SignedDelta.Verify(sent.Message, TestDeltas.Local, memo: memo);
        Assert.Equal(1, memo.Hits);
    }

    [Fact]
    public void A_tampered_signature_or_manifest_misses_the_memo_and_fails_verification()
    {
        var memo = new SignatureMemo();
        SignedDelta genuine = Create(memo);

        byte[] signature = genuine.Message.Signature.ToArray();
        signature[5] ^= 0x01;
        var badSignature = new DeltaManifestMessage(genuine.Message.Manifest, signature);
        Assert.Equal(ProtocolErrorCode.BadSignature, Assert.Throws<ProtocolException>(() => SignedDelta.Verify(badSignature, TestDeltas.Local, memo: memo)).Code);

        // The genuine signature over a different (still canonical) manifest: another sequence number.
        SignedDelta other = Create(memo: null, sequence: 2);
        var swapped = new DeltaManifestMessage(other.Message.Manifest, genuine.Message.Signature);
        Assert.Equal(ProtocolErrorCode.BadSignature, Assert.Throws<ProtocolException>(() => SignedDelta.Verify(swapped, TestDeltas.Local, memo: memo)).Code);

        Assert.Equal(0, memo.Hits);
        Assert.Equal(1, memo.Count);
    }

    [Fact]
    public void A_signature_by_another_key_over_the_same_manifest_misses_the_memo()
    {
        var memo = new SignatureMemo();
        SignedDelta genuine = Create(memo);
        byte[] forged = SignatureAlgorithm.Ed25519.Sign(TestDeltas.KeyFromSeed(100), [.. "fedmesh-delta-manifest-v1"u8, .. genuine.Message.Manifest.Span]);
        Assert.Equal(ProtocolErrorCode.BadSignature, Assert.Throws<ProtocolException>(() => SignedDelta.Verify(new DeltaManifestMessage(genuine.Message.Manifest, forged), TestDeltas.Local, memo: memo)).Code);
        Assert.Equal(0, memo.Hits);
    }

    [Fact]
    public void The_other_checks_still_run_on_a_remembered_signature()
    {
        var memo = new SignatureMemo();
        SignedDelta sent = Create(memo);
        var otherMesh = new LocalMesh(Enumerable.Repeat((byte)0x33, 32).ToArray(), TestDeltas.BaseModelHash, TestDeltas.Schema);
        Assert.Equal(ProtocolErrorCode.IncompatiblePeer, Assert.Throws<ProtocolException>(() => SignedDelta.Verify(sent.Message, otherMesh, memo: memo)).Code);
        Assert.Equal(ProtocolErrorCode.BadSignature, Assert.Throws<ProtocolException>(() => SignedDelta.Verify(sent.Message, TestDeltas.Local, TestDeltas.KeyFromSeed(100).PublicKey, memo)).Code);
    }

    [Fact]
    public void The_oldest_entry_is_forgotten_past_the_capacity()
    {
        var memo = new SignatureMemo(capacity: 2);
        SignedDelta first = Create(memo, 1);
        Create(memo, 2);
        Create(memo, 3);
        Assert.Equal(2, memo.Count);

        SignedDelta.Verify(first.Message, TestDeltas.Local, memo: memo);
        Assert.Equal(0, memo.Hits);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SignatureMemo(0));
    }
}
