using SecretRotator.Configuration;

namespace SecretRotator.Registries.Static;

public sealed record StaticRegistryOptions(string Server, ValueSource Username, ValueSource Password, string? Email);

/// <summary>Username/password registries: Docker Hub, GHCR, Harbor, Quay. No expiry.</summary>
public sealed class StaticRegistryProvider(IValueResolver values) : IRegistryProvider
{
    public string Type => "static";

    public IReadOnlyList<string> ConfiguredServers(RegistryDefinition registry) => [((StaticRegistryOptions)registry.Options).Server];

    public object ParseOptions(ConfigMap map)
    {
        var server = map.GetString("server", required: true);
        var username = map.GetValueSource("username", allowLiteral: true, required: true);
        var password = map.GetValueSource("password", allowLiteral: false, required: true);
        var email = map.GetString("email");
        if (username is ValueSource.Literal { Value: var literal } && literal.Contains(':', StringComparison.Ordinal)
            || username is ValueSource.Env { Variable: var variable } && Environment.GetEnvironmentVariable(variable)?.Contains(':', StringComparison.Ordinal) == true)
            map.Warn("username", "contains ':'; docker and the kubelet split the auth value at the first ':', so this login will fail");
        return new StaticRegistryOptions(server ?? "", username ?? new ValueSource.Literal(""), password ?? new ValueSource.Literal(""), email);
    }

    public async Task<RegistryCredential> GetCredentialAsync(RegistryDefinition registry, CancellationToken cancellationToken)
    {
        var options = (StaticRegistryOptions)registry.Options;
        var username = await values.ResolveAsync(options.Username, cancellationToken);
        var password = await values.ResolveAsync(options.Password, cancellationToken);
        if (password.Length == 0)
            throw new RegistryException("empty_password", $"password from {options.Password} is empty");
        return new RegistryCredential([new DockerAuthEntry(options.Server, username, password, options.Email)], ExpiresAt: null);
    }
}
