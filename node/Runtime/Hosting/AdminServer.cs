using System.Net;
using System.Text.Json;
using FedMesh.Node.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting;

/// <summary>
/// The node's local admin endpoint: GET /status and /peers (JSON, read by `fedmesh status` / `fedmesh peers`),
/// GET /metrics (Prometheus text), and GET /healthz (liveness) and /readyz (readiness): 200 or 503 with the checks as
/// JSON (<see cref="NodeHealth"/>). Bound to loopback by default; it exposes no write operations.
/// Served by Kestrel (not HttpListener, whose Linux implementation rejected "0.0.0.0" and "[::]" prefixes, cannot bind
/// port 0, and once failed to start when a request arrived while it was binding): the socket is bound and listening
/// before <see cref="StartAsync"/> returns, port 0 picks a free port (<see cref="BoundEndPoint"/>), and "::" is
/// dual-stack.
/// </summary>
public sealed class AdminServer : IAsyncDisposable
{
    private readonly IPEndPoint _listen;
    private readonly NodeMetrics _metrics;
    private readonly Func<NodeStatus>? _status;
    private readonly ILoggerFactory _loggers;
    private WebApplication? _app;

    /// <param name="listen">Address and port to bind; port 0 picks a free one.</param>
    /// <param name="status">The status snapshot; null serves /metrics only (the [metrics] endpoint).</param>
    public AdminServer(IPEndPoint listen, NodeMetrics metrics, Func<NodeStatus>? status, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(listen);
        _listen = listen;
        _metrics = metrics;
        _status = status;
        _loggers = loggers;
    }

    /// <summary>The node's health for /healthz and /readyz; null answers both with 503 "not started".</summary>
    public Func<NodeHealth>? Health { get; init; }

    /// <summary>The address and port actually bound (after <see cref="StartAsync"/>).</summary>
    public IPEndPoint? BoundEndPoint { get; private set; }

    /// <summary>http://host:port of the bound endpoint (IPv6 hosts in brackets).</summary>
    public string Url => BoundEndPoint is { } ep ? $"http://{ep}" : throw new InvalidOperationException("not started");

    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>Binds and starts serving; throws (IOException and the like) when the address cannot be bound.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The empty builder reads no configuration files or environment variables (ASPNETCORE_URLS and appsettings
        // in the working directory must not move the node's admin endpoint) and adds no logging providers of its own.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.Services.AddSingleton<ILoggerFactory>(new QuietHostLoggers(_loggers));
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        // The node's own host owns Ctrl-C/SIGTERM and the "application started" lines; this inner host must not.
        builder.Services.AddSingleton<IHostLifetime, PassiveLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(_listen);
        });
        WebApplication app = builder.Build();
        app.Run(HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _app = app;
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound);
        BoundEndPoint = new IPEndPoint(_listen.Address, uri.Port);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            // Requests in flight get a moment to finish; the endpoint is local and read-only, nothing to drain.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await app.StopAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        HttpResponse response = context.Response;
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            response.StatusCode = 405;
            return;
        }

        CancellationToken cancel = context.RequestAborted;
        switch (context.Request.Path.Value?.TrimEnd('/'))
        {
            case "/metrics":
                response.ContentType = "text/plain; version=0.0.4";
                await _metrics.ExportAsync(response.Body, cancel).ConfigureAwait(false);
                break;
            case "/status" when _status is not null:
                await WriteJsonAsync(response, _status(), cancel).ConfigureAwait(false);
                break;
            case "/healthz":
            case "/readyz":
                NodeHealth? health = Health?.Invoke();
                bool ok = health is not null && (context.Request.Path.Value!.StartsWith("/healthz", StringComparison.Ordinal) ? health.Live : health.Ready);
                response.StatusCode = ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                await WriteJsonAsync(response, HealthBody(health, ok), cancel).ConfigureAwait(false);
                break;
            case "/peers" when _status is not null:
                await WriteJsonAsync(response, _status().Peers, cancel).ConfigureAwait(false);
                break;
            default:
                response.StatusCode = 404;
                break;
        }
    }

    /// <summary>
    /// The node's loggers, minus the inner host's own categories: a bind failure surfaces as one
    /// <see cref="NodeStartException"/> line, not also as the host's "Hosting failed to start" stack trace, and
    /// status polls do not log two lines per request.
    /// </summary>
    private sealed class QuietHostLoggers(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal)
                || categoryName.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal)
                ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance
                : inner.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
            // The node owns the inner factory.
        }
    }

    /// <summary>A host lifetime that waits for nothing and listens to no signal.</summary>
    private sealed class PassiveLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>"ok" or "unavailable" with the checks, so a failing probe says which check failed.</summary>
    private static object HealthBody(NodeHealth? health, bool ok) => health is null
        ? new { Status = "unavailable", Reason = "not started" }
        : new
        {
            Status = ok ? "ok" : "unavailable",
            health.Started,
            health.Listening,
            health.ModelLoaded,
            health.Stopping,
            health.Fault,
        };

    private static async Task WriteJsonAsync<T>(HttpResponse response, T value, CancellationToken cancel)
    {
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.Body, value, Json, cancel).ConfigureAwait(false);
    }
}
