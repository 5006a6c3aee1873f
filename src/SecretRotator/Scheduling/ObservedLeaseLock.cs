using k8s.LeaderElection;

namespace SecretRotator.Scheduling;

/// <summary>
/// The elector's lock, noting each time the API server answered about the Lease (read, created or renewed). A replica
/// that stops hearing back, standby or leader, shows in the metric this feeds while /readyz stays unchanged.
/// </summary>
internal sealed class ObservedLeaseLock(ILock inner, Action observed) : ILock
{
    public string Identity => inner.Identity;

    public async Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default)
    {
        var record = await inner.GetAsync(cancellationToken);
        observed();
        return record;
    }

    public async Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        Note(await inner.CreateAsync(record, cancellationToken));

    public async Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default) =>
        Note(await inner.UpdateAsync(record, cancellationToken));

    public string Describe() => inner.Describe();

    private bool Note(bool succeeded)
    {
        if (succeeded) observed();
        return succeeded;
    }
}
