namespace FedMesh.Node.Configuration;

/// <summary>The <c>[metrics]</c> and <c>[admin]</c> sections: a local HTTP endpoint that can be switched off.</summary>
public sealed record EndpointSection
{
    /// <summary>Prometheus metrics on, on loopback port 9464 (the OpenTelemetry Prometheus exporter's default port).</summary>
    public static readonly EndpointSection DefaultMetrics = new() { Enabled = true, Listen = "127.0.0.1:9464" };

    /// <summary>Admin API on, loopback only (never exposed by default), on the port after the metrics one.</summary>
    public static readonly EndpointSection DefaultAdmin = new() { Enabled = true, Listen = "127.0.0.1:9465" };

    public bool Enabled { get; init; }

    /// <summary>host:port to listen on.</summary>
    public string Listen { get; init; } = "127.0.0.1:0";
}
