using Microsoft.Extensions.Time.Testing;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>A FakeTimeProvider that tells a test when someone starts waiting for a given time, so it can advance exactly then.</summary>
internal sealed class TimerSignallingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _gate = new();
    private readonly List<(TimeSpan Due, TaskCompletionSource Signal)> _waits = [];
    private readonly List<TimeSpan> _created = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_gate)
        {
            _created.Add(dueTime);
            foreach (var wait in _waits.Where(w => w.Due == dueTime))
            {
                wait.Signal.TrySetResult();
            }
        }
        return timer;
    }

    /// <summary>Completes once a timer with exactly <paramref name="due"/> has been created (now or earlier).</summary>
    public Task TimerCreated(TimeSpan due)
    {
        lock (_gate)
        {
            if (_created.Contains(due))
            {
                return Task.CompletedTask;
            }
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waits.Add((due, signal));
            return signal.Task;
        }
    }
}
