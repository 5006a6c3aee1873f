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

    // The loader stores what this type's ParseOptions returned, so another record here is a wiring bug, not a config error.
    protected TOptions OptionsOf(RegistryDefinition registry) => registry.Options as TOptions
        ?? throw new InvalidOperationException($"registry {registry.Name} (type {registry.Type}) does not hold {Type} options");
}
