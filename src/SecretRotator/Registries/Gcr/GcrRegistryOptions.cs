using SecretRotator.Configuration;
using SecretRotator.Registries.Acr;

namespace SecretRotator.Registries.Gcr;

/// <param name="Servers">Registry hosts (gcr.io, us-docker.pkg.dev, ...); all get the one access token.</param>
/// <param name="CredentialsFile">A credential JSON (service account key or external account); overrides GOOGLE_APPLICATION_CREDENTIALS.</param>
/// <param name="Impersonate">Service account e-mail to impersonate with the loaded credential.</param>
/// <param name="Endpoint">Token endpoint override: replaces the file's token_uri/token_url, or is the metadata server's token URL when no file is used.</param>
/// <param name="IamEndpoint">Base URL of the IAM Credentials API used to impersonate, from any source (private endpoints, tests).</param>
/// <param name="StsAudience">credential-provider token mode: the workload identity provider Google STS exchanges the pod's token for.</param>
/// <param name="StsEndpoint">credential-provider token mode: Google STS's token URL (private endpoints, tests).</param>
public sealed record GcrRegistryOptions(
    IReadOnlyList<string> Servers,
    string? CredentialsFile,
    string? Impersonate,
    Uri? Endpoint,
    Uri? IamEndpoint) : IRegistryOptions<GcrRegistryOptions>
{
    public string? StsAudience { get; init; }
    public Uri? StsEndpoint { get; init; }

    public const string Scope = "https://www.googleapis.com/auth/cloud-platform";

    public static GcrRegistryOptions Parse(ConfigMap map)
    {
        var servers = map.GetStringList("servers", required: true, allowScalar: false);
        foreach (var server in servers.Where(s => !AcrRegistryOptions.IsRegistryHost(s)))
            map.Error("servers", $"'{server}' is not a registry host name such as gcr.io or us-docker.pkg.dev");
        if (servers.Distinct(StringComparer.OrdinalIgnoreCase).Count() != servers.Count)
            map.Error("servers", "lists a server twice");

        var file = map.GetExistingFile("credentialsFile");

        var impersonate = map.GetString("impersonate");
        if (impersonate is not null && !impersonate.Contains('@', StringComparison.Ordinal))
            map.Error("impersonate", "must be a service account e-mail such as puller@my-project.iam.gserviceaccount.com");

        return new GcrRegistryOptions(servers, file, impersonate,
            AcrRegistryOptions.ParseUrl(map, "endpoint"), AcrRegistryOptions.ParseUrl(map, "iamEndpoint"))
        {
            StsAudience = map.GetString("stsAudience"),
            StsEndpoint = AcrRegistryOptions.ParseUrl(map, "stsEndpoint"),
        };
    }
}
