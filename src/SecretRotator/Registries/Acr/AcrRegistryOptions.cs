using SecretRotator.Configuration;

namespace SecretRotator.Registries.Acr;

/// <summary>How the Entra token is obtained.</summary>
public enum AzureAuthMode
{
    /// <summary>DefaultAzureCredential: environment, workload identity, managed identity, developer tools.</summary>
    Default,
    /// <summary>AKS workload identity: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE.</summary>
    Workload,
    /// <summary>Managed identity (system-assigned, or user-assigned when clientId is set).</summary>
    Managed,
    /// <summary>Service principal secret: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET.</summary>
    Secret,
    /// <summary>Service principal certificate: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_CERTIFICATE_PATH (PEM or PFX).</summary>
    Certificate,
}

/// <param name="Server">Login server, e.g. myregistry.azurecr.io: the dockerconfigjson key and the exchange's service.</param>
/// <param name="ClientId">Overrides AZURE_CLIENT_ID (workload, secret, certificate); selects a user-assigned identity (managed).</param>
/// <param name="TenantId">Overrides AZURE_TENANT_ID.</param>
/// <param name="Endpoint">Base URL of the token exchange; defaults to https://{Server}.</param>
public sealed record AcrRegistryOptions(
    string Server,
    AzureAuthMode Auth,
    string? ClientId,
    string? TenantId,
    string Scope,
    Uri Endpoint) : IRegistryOptions<AcrRegistryOptions>
{
    public const string DefaultScope = "https://containerregistry.azure.net/.default";

    public static AcrRegistryOptions Parse(ConfigMap map)
    {
        var server = map.GetString("server", required: true) ?? "";
        if (server.Length > 0 && !IsRegistryHost(server))
            map.Error("server", "must be a registry host name such as myregistry.azurecr.io (no scheme or path)");

        var auth = AzureAuthMode.Default;
        switch (map.GetString("auth"))
        {
            case null or "default": break;
            case "workload": auth = AzureAuthMode.Workload; break;
            case "managed": auth = AzureAuthMode.Managed; break;
            case "secret": auth = AzureAuthMode.Secret; break;
            case "certificate": auth = AzureAuthMode.Certificate; break;
            default: map.Error("auth", "must be one of workload, managed, secret, certificate, default"); break;
        }

        var scope = map.GetString("scope") ?? DefaultScope;
        var endpoint = ParseUrl(map, "endpoint") ?? (server.Length > 0 && Uri.TryCreate($"https://{server}", UriKind.Absolute, out var u) ? u : new Uri("https://invalid"));
        return new AcrRegistryOptions(server, auth, map.GetString("clientId"), map.GetString("tenantId"), scope, endpoint);
    }

    /// <summary>A dockerconfigjson key as registries use it: host or host:port, no scheme, path or credentials.</summary>
    internal static bool IsRegistryHost(string value) =>
        Uri.TryCreate($"https://{value}", UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, value, StringComparison.OrdinalIgnoreCase)
        && uri.AbsolutePath == "/" && uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0;

    internal static Uri? ParseUrl(ConfigMap map, string key)
    {
        var text = map.GetString(key);
        if (text is null) return null;
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
            return uri;
        map.Error(key, "must be an absolute http(s) URL");
        return null;
    }
}
