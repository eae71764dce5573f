using FedMesh.Protocol.Messages;
using FedMesh.Protocol.Wire;

namespace FedMesh.Protocol.Tests.Messages;

public class LimitsConsistencyTests
{
    public static TheoryData<FrameType> MessageTypes() =>
        new(Enum.GetValues<FrameType>().Where(MessageCodec.CarriesMessage));

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Every_message_the_codec_may_produce_fits_its_frame_cap(FrameType type) =>
        Assert.True(
            MessageLimits.MaxV1BodyLength(type) <= FrameLimits.MaxBody(type),
            $"{type}: largest v1 body {MessageLimits.MaxV1BodyLength(type)} > frame body cap {FrameLimits.MaxBody(type)}");
}
