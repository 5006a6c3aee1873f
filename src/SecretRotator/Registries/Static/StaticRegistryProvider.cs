using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries.Static;

/// <summary>Username/password registries: Docker Hub, GHCR, Harbor, Quay. No expiry.</summary>
public sealed class StaticRegistryProvider(IValueResolver values) : RegistryProvider<StaticRegistryOptions>
{
    public override string Type => "static";

    protected override IReadOnlyList<string> ServersOf(StaticRegistryOptions options) => [options.Server];

    protected override async Task<RegistryCredential> FetchAsync(RegistryDefinition registry, StaticRegistryOptions options, CancellationToken cancellationToken)
    {
        var username = await values.ResolveAsync(options.Username, cancellationToken);
        var password = await values.ResolveAsync(options.Password, cancellationToken);
        if (password.Length == 0)
            throw new RegistryException("empty_password", $"password from {options.Password} is empty");
        return new RegistryCredential([new DockerAuthEntry(options.Server, username, password, options.Email)], ExpiresAt: null);
    }
}
