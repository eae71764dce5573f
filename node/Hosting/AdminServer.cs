using System.Net;
using System.Text.Json;
using FedMesh.Node.Metrics;
using Microsoft.Extensions.Logging;

namespace FedMesh.Node.Hosting;

/// <summary>
/// The node's local admin endpoint: GET /status and /peers (JSON, read by `fedmesh status` / `fedmesh peers`) and
/// GET /metrics (Prometheus text). Bound to loopback by default; it exposes no write operations.
/// </summary>
public sealed partial class AdminServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly NodeMetrics _metrics;
    private readonly Func<NodeStatus>? _status;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    /// <param name="status">The status snapshot; null serves /metrics only (the [metrics] endpoint).</param>
    public AdminServer(string prefix, NodeMetrics metrics, Func<NodeStatus>? status, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _listener.Prefixes.Add(prefix.EndsWith('/') ? prefix : prefix + "/");
        _metrics = metrics;
        _status = status;
        _logger = logger;
        Prefix = prefix;
    }

    public string Prefix { get; }

    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public void Start()
    {
        _listener.Start();
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Close();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().WaitAsync(cancel).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            try
            {
                await HandleAsync(context, cancel).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException or InvalidOperationException)
            {
                Log.RequestFailed(_logger, context.Request.Url?.AbsolutePath ?? "?", ex.Message);
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken cancel)
    {
        HttpListenerResponse response = context.Response;
        if (context.Request.HttpMethod != "GET")
        {
            response.StatusCode = 405;
            return;
        }

        switch (context.Request.Url?.AbsolutePath.TrimEnd('/'))
        {
            case "/metrics":
                response.ContentType = "text/plain; version=0.0.4";
                await _metrics.ExportAsync(response.OutputStream, cancel).ConfigureAwait(false);
                break;
            case "/status" when _status is not null:
                await WriteJsonAsync(response, _status(), cancel).ConfigureAwait(false);
                break;
            case "/peers" when _status is not null:
                await WriteJsonAsync(response, _status().Peers, cancel).ConfigureAwait(false);
                break;
            default:
                response.StatusCode = 404;
                break;
        }
    }

    private static async Task WriteJsonAsync<T>(HttpListenerResponse response, T value, CancellationToken cancel)
    {
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.OutputStream, value, Json, cancel).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Admin request {Path} failed: {Reason}")]
        public static partial void RequestFailed(ILogger logger, string path, string reason);
    }
}
