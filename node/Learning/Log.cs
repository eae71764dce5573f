using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Learning;

/// <summary>Source-generated log messages of the learning area (event ids 3100–3199).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Learner ready: {Parameters} base parameters, {Trainable} adapter parameters, schema {SchemaHash}, base {BaseHash}")]
    public static partial void LearnerReady(ILogger logger, long parameters, long trainable, string schemaHash, string baseHash);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Local round: {Steps} steps, mean loss {Loss:F4} nats/byte")]
    public static partial void RoundFinished(ILogger logger, int steps, double loss);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Base model cache hit: {Path}")]
    public static partial void CacheHit(ILogger logger, string path);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Base model cache miss, pretraining {Steps} steps into {Path}")]
    public static partial void CacheMiss(ILogger logger, int steps, string path);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Ignoring unreadable cached base model {Path}: {Reason}")]
    public static partial void CacheCorrupt(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "Pretraining the base model: step {Step} of {Total}, loss {BitsPerByte:F3} bits/byte, about {SecondsLeft} s left")]
    public static partial void PretrainStep(ILogger logger, int step, int total, double bitsPerByte, double secondsLeft);
}
