namespace SecretRotator.Kubernetes;

/// <summary>One <c>auths</c> entry of a .dockerconfigjson (<see cref="DockerConfigJson"/> writes and reads them).</summary>
public sealed record DockerAuthEntry(string Server, string Username, string Password, string? Email = null)
{
    // Records print their members; a credential must never reach a log through ToString.
    public override string ToString() => $"{Server} (user {Username})";
}

/// <summary>What one registry produced in one run: the entries it writes and when they stop working.</summary>
public sealed record RegistryCredential(IReadOnlyList<DockerAuthEntry> Entries, DateTimeOffset? ExpiresAt)
{
    public override string ToString() => $"{Entries.Count} entries, expires {ExpiresAt?.ToString("O") ?? "never"}";
}
