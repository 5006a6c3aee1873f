using System.Net;
using System.Net.Sockets;

namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// A loopback port that accepts every connection and never sends a byte: an endpoint that hangs (no HTTP response,
/// no TLS handshake). <see cref="Connected"/> completes when the first connection arrives, so a test can move its
/// clock past a deadline exactly while a request is stuck here.
/// </summary>
public sealed class SilentEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _held = [];
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public SilentEndpoint()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>http://127.0.0.1:PORT (no trailing slash).</summary>
    public string Http => $"http://127.0.0.1:{Port}";

    /// <summary>https://127.0.0.1:PORT (no trailing slash): the client waits for a TLS handshake that never comes.</summary>
    public string Https => $"https://127.0.0.1:{Port}";

    public Task Connected => _connected.Task;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_held) _held.Add(socket);
                _connected.TrySetResult();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _accepting;
        _listener.Stop();
        lock (_held)
        {
            foreach (var socket in _held) socket.Dispose();
        }
        _stop.Dispose();
    }
}
