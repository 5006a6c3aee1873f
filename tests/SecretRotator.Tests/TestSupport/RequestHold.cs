using Microsoft.AspNetCore.Http;

namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// Lets a loopback fake take a request and never answer it: an endpoint that hangs. <see cref="Held"/> completes
/// when the first request is being held; <see cref="Release"/> (at the end of a test) aborts every held request.
/// </summary>
public sealed class RequestHold
{
    private TaskCompletionSource _held = NewSignal();
    private TaskCompletionSource _released = NewSignal();

    public bool Enabled { get; private set; }

    /// <summary>Counts <see cref="Enable"/> calls: tells a request of this hold from a late one of an earlier hold.</summary>
    public int Generation { get; private set; }

    public Task Held => _held.Task;

    public void Enable()
    {
        _held = NewSignal();
        _released = NewSignal();
        Generation++;
        Enabled = true;
    }

    public void Release()
    {
        Enabled = false;
        _released.TrySetResult();
    }

    /// <summary>True when the request was held (and then aborted); false when holding is off.</summary>
    public async Task<bool> HoldAsync(HttpContext context)
    {
        if (!Enabled) return false;
        var released = _released.Task;
        _held.TrySetResult();
        await Task.WhenAny(released, Task.Delay(Timeout.Infinite, context.RequestAborted));
        context.Abort();
        return true;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
