using SecretRotator.Configuration;

namespace SecretRotator.Registries;

/// <summary>Reads a <see cref="ValueSource"/> at fetch time (files and secrets may rotate between runs).</summary>
public interface IValueResolver
{
    Task<string> ResolveAsync(ValueSource source, CancellationToken cancellationToken);
}
