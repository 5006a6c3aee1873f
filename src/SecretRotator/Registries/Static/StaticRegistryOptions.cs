using SecretRotator.Configuration;

namespace SecretRotator.Registries.Static;

/// <summary>The parsed <c>type: static</c> fields: a fixed server and where its username and password come from.</summary>
public sealed record StaticRegistryOptions(string Server, ValueSource Username, ValueSource Password, string? Email)
    : IRegistryOptions<StaticRegistryOptions>
{
    public static StaticRegistryOptions Parse(ConfigMap map)
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
}
