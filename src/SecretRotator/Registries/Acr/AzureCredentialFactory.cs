using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using SecretRotator.Configuration;

namespace SecretRotator.Registries.Acr;

/// <summary>A ready Entra credential, the key its tokens are cached under, and the tenant the exchange names.</summary>
public sealed record AzureSignIn(string CacheKey, string Description, string? TenantId, TokenCredential Credential);

/// <summary>
/// Builds Azure.Identity credentials from the registry's <c>auth:</c> and the standard AZURE_* variables.
/// Credentials are kept per identity so registries that sign in the same way share one (and its MSAL cache).
/// </summary>
public sealed class AzureCredentialFactory(IEnvironmentVariables env)
{
    private readonly ConcurrentDictionary<string, AzureSignIn> _signIns = new(StringComparer.Ordinal);

    /// <summary>Test hook: the transport every credential sends through (e.g. one trusting a test certificate).</summary>
    internal HttpPipelineTransport? Transport { get; init; }

    public AzureSignIn Resolve(string registry, AcrRegistryOptions options)
    {
        var clientId = options.ClientId ?? env.Get("AZURE_CLIENT_ID");
        var tenantId = options.TenantId ?? env.Get("AZURE_TENANT_ID");
        var authority = AuthorityHost(registry);
        return options.Auth switch
        {
            AzureAuthMode.Workload => Workload(registry, clientId, tenantId, authority),
            AzureAuthMode.Managed => Managed(options.ClientId),
            AzureAuthMode.Secret => Secret(registry, clientId, tenantId, authority),
            AzureAuthMode.Certificate => Certificate(clientId, tenantId, authority),
            _ => Default(options.ClientId, tenantId, authority),
        };
    }

    /// <summary>
    /// Instance discovery asks the public cloud which authorities exist. For a cloud Azure.Identity already knows
    /// that is fine; for Azure Stack, private and test authorities it would wait on an unreachable endpoint first.
    /// </summary>
    public static bool IsKnownCloud(Uri authority) =>
        new[] { AzureAuthorityHosts.AzurePublicCloud, AzureAuthorityHosts.AzureChina, AzureAuthorityHosts.AzureGovernment }
            .Any(known => string.Equals(known.Host, authority.Host, StringComparison.OrdinalIgnoreCase));

    private Uri AuthorityHost(string registry)
    {
        var value = env.Get("AZURE_AUTHORITY_HOST");
        if (value is null) return AzureAuthorityHosts.AzurePublicCloud;
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps) return uri;
        throw new RegistryException("auth_unavailable", $"AZURE_AUTHORITY_HOST '{value}' is not an absolute https URL");
    }

    private AzureSignIn Workload(string registry, string? clientId, string? tenantId, Uri authority)
    {
        var tokenFile = env.Get("AZURE_FEDERATED_TOKEN_FILE");
        var missing = new[] { ("AZURE_CLIENT_ID", clientId), ("AZURE_TENANT_ID", tenantId), ("AZURE_FEDERATED_TOKEN_FILE", tokenFile) }
            .Where(v => v.Item2 is null).Select(v => v.Item1).ToList();
        if (missing.Count > 0)
            throw new RegistryException("auth_unavailable",
                $"auth: workload needs {string.Join(", ", missing)}; on AKS these are injected when the pod has the label " +
                "azure.workload.identity/use: \"true\" and its service account the annotation azure.workload.identity/client-id");

        var key = $"workload|{clientId}|{tenantId}|{authority}|{tokenFile}";
        return _signIns.GetOrAdd(key, k =>
        {
            var options = Configure(new WorkloadIdentityCredentialOptions
            {
                ClientId = clientId,
                TenantId = tenantId,
                TokenFilePath = tokenFile,
                AuthorityHost = authority,
                DisableInstanceDiscovery = !IsKnownCloud(authority),
            });
            return new AzureSignIn(k, $"workload identity (client {clientId})", tenantId, new WorkloadIdentityCredential(options));
        });
    }

    private AzureSignIn Managed(string? clientId)
    {
        var key = $"managed|{clientId}";
        return _signIns.GetOrAdd(key, k =>
        {
            var id = clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId);
            var options = Configure(new ManagedIdentityCredentialOptions(id));
            var description = clientId is null ? "system-assigned managed identity" : $"managed identity (client {clientId})";
            return new AzureSignIn(k, description, null, new ManagedIdentityCredential(options));
        });
    }

    private AzureSignIn Secret(string registry, string? clientId, string? tenantId, Uri authority)
    {
        var secret = env.Get("AZURE_CLIENT_SECRET");
        var missing = new[] { ("AZURE_CLIENT_ID", clientId), ("AZURE_TENANT_ID", tenantId), ("AZURE_CLIENT_SECRET", secret) }
            .Where(v => v.Item2 is null).Select(v => v.Item1).ToList();
        if (missing.Count > 0)
            throw new RegistryException("auth_unavailable", $"auth: secret needs {string.Join(", ", missing)}");

        // The secret itself is not part of the key: it is fixed for the life of the process.
        var key = $"secret|{clientId}|{tenantId}|{authority}";
        return _signIns.GetOrAdd(key, k =>
        {
            var options = Configure(new ClientSecretCredentialOptions { AuthorityHost = authority, DisableInstanceDiscovery = !IsKnownCloud(authority) });
            return new AzureSignIn(k, $"client secret (client {clientId})", tenantId, new ClientSecretCredential(tenantId, clientId, secret, options));
        });
    }

    private AzureSignIn Certificate(string? clientId, string? tenantId, Uri authority)
    {
        var path = env.Get("AZURE_CLIENT_CERTIFICATE_PATH");
        var missing = new[] { ("AZURE_CLIENT_ID", clientId), ("AZURE_TENANT_ID", tenantId), ("AZURE_CLIENT_CERTIFICATE_PATH", path) }
            .Where(v => v.Item2 is null).Select(v => v.Item1).ToList();
        if (missing.Count > 0)
            throw new RegistryException("auth_unavailable", $"auth: certificate needs {string.Join(", ", missing)}");

        // The file's write time is part of the key: a certificate rotated on disk (a Secret volume, cert-manager)
        // gets a new credential on the daemon's next refresh instead of signing with the old key until restart.
        var written = File.GetLastWriteTimeUtc(path!);
        var key = $"certificate|{clientId}|{tenantId}|{authority}|{path}|{written.Ticks}";
        return _signIns.GetOrAdd(key, k =>
        {
            var certificate = AzureClientCertificate.Load(path!, env.Get("AZURE_CLIENT_CERTIFICATE_PASSWORD"));
            var options = Configure(new ClientCertificateCredentialOptions
            {
                AuthorityHost = authority,
                DisableInstanceDiscovery = !IsKnownCloud(authority),
                // Subject name + issuer sign-in (the certificate is rolled without re-registering its thumbprint).
                SendCertificateChain = env.Get("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN")?.Trim().ToLowerInvariant() is "true" or "1",
            });
            return new AzureSignIn(k, $"client certificate (client {clientId}, thumbprint {certificate.Thumbprint})", tenantId,
                new ClientCertificateCredential(tenantId, clientId, certificate, options));
        });
    }

    private AzureSignIn Default(string? clientId, string? tenantId, Uri authority)
    {
        var key = $"default|{clientId}|{tenantId}|{authority}";
        return _signIns.GetOrAdd(key, k =>
        {
            var options = Configure(new DefaultAzureCredentialOptions
            {
                AuthorityHost = authority,
                DisableInstanceDiscovery = !IsKnownCloud(authority),
                TenantId = tenantId,
            });
            if (clientId is not null)
            {
                options.ManagedIdentityClientId = clientId;
                options.WorkloadIdentityClientId = clientId;
            }
            return new AzureSignIn(k, "the default Azure credential chain", tenantId, new DefaultAzureCredential(options));
        });
    }

    private T Configure<T>(T options) where T : TokenCredentialOptions
    {
        if (Transport is not null) options.Transport = Transport;
        return options;
    }
}
