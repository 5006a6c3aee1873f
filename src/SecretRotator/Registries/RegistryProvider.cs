using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries;

/// <summary>
/// A registry type whose options record <typeparamref name="TOptions"/> parses and validates itself. The definition's
/// untyped <see cref="RegistryDefinition.Options"/> is checked here, once, and every method gets the typed record.
/// </summary>
public abstract class RegistryProvider<TOptions> : IRegistryProvider
    where TOptions : class, IRegistryOptions<TOptions>
{
    public abstract string Type { get; }

    public object ParseOptions(ConfigMap map) => TOptions.Parse(map);

    public IReadOnlyList<string> ConfiguredServers(RegistryDefinition registry) => ServersOf(OptionsOf(registry));

    public Task<RegistryCredential> GetCredentialAsync(RegistryDefinition registry, CancellationToken cancellationToken) =>
        FetchAsync(registry, OptionsOf(registry), cancellationToken);

    /// <summary>See <see cref="IRegistryProvider.ConfiguredServers"/>; none by default.</summary>
    protected virtual IReadOnlyList<string> ServersOf(TOptions options) => [];

    /// <summary>See <see cref="IRegistryProvider.GetCredentialAsync"/>.</summary>
    protected abstract Task<RegistryCredential> FetchAsync(RegistryDefinition registry, TOptions options, CancellationToken cancellationToken);

    protected static TOptions OptionsOf(RegistryDefinition registry) => registry.OptionsAs<TOptions>();
}
