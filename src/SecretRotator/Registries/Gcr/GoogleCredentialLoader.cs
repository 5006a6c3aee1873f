using Google.Apis.Auth.OAuth2;
using Google.Apis.Json;
using SecretRotator.Configuration;

namespace SecretRotator.Registries.Gcr;

/// <summary>
/// A Google credential scoped for Artifact Registry and how it was found (for messages). Its token is the registry
/// password, or with <paramref name="Chain"/> the caller of the first IAM generateAccessToken step, whose token calls
/// the next one.
/// </summary>
public sealed record GoogleSignIn(GoogleCredential Credential, string Description, IReadOnlyList<IamImpersonation> Chain);

/// <summary>
/// Application default credentials, read the way Google's libraries do: a credential file named by the registry
/// or GOOGLE_APPLICATION_CREDENTIALS (service account key, workload identity federation), else gcloud's
/// well-known file, else the GCE/GKE metadata server. Files go through CredentialFactory, which takes the
/// credential type explicitly, not the obsolete GoogleCredential.FromFile.
/// </summary>
public sealed class GoogleCredentialLoader(IEnvironmentVariables env)
{
    private static readonly HashSet<string> FileTypes = new(StringComparer.Ordinal)
    {
        JsonCredentialParameters.ServiceAccountCredentialType,
        JsonCredentialParameters.ExternalAccountCredentialType,
        JsonCredentialParameters.ImpersonatedServiceAccountCredentialType,
        JsonCredentialParameters.AuthorizedUserCredentialType,
        JsonCredentialParameters.ExternalAccountAuthorizedUserCredentialType,
    };

    public async Task<GoogleSignIn> LoadAsync(string registry, GcrRegistryOptions options, CancellationToken cancellationToken)
    {
        var file = options.CredentialsFile ?? env.Get("GOOGLE_APPLICATION_CREDENTIALS");
        var signIn = file is not null
            ? FromParameters(file, await ReadFileAsync(registry, file, cancellationToken), options.Endpoint)
            : options.Endpoint is not null
                ? new GoogleSignIn(new ComputeCredential(new ComputeCredential.Initializer(options.Endpoint.AbsoluteUri)).ToGoogleCredential(), $"the metadata server at {options.Endpoint}", [])
                : await ApplicationDefaultAsync(registry, cancellationToken);
        // Impersonation is our own IAM call with this credential's token (IamCredentialsClient), whatever the source:
        // GKE workload identity impersonating another service account works, and iamEndpoint is honoured everywhere.
        var chain = options.Impersonate is { } target
            ? [.. signIn.Chain, IamImpersonation.At(options.IamEndpoint ?? IamCredentialsClient.DefaultEndpoint, target)]
            : signIn.Chain;
        return signIn with { Credential = signIn.Credential.CreateScoped(GcrRegistryOptions.Scope), Chain = chain };
    }

    /// <summary>
    /// A credential file. The impersonation a file asks for (gcloud's impersonated_service_account, an external
    /// account's service_account_impersonation_url) is taken out and done by IamCredentialsClient too, so that IAM's
    /// refusal is readable; the library signs in with what is left.
    /// </summary>
    private static GoogleSignIn FromParameters(string file, JsonCredentialParameters parameters, Uri? tokenEndpoint)
    {
        var description = $"{parameters.Type} credentials from '{file}'";
        List<IamImpersonation> chain = [];
        if (parameters.Type == JsonCredentialParameters.ImpersonatedServiceAccountCredentialType)
        {
            if (parameters.SourceCredential is not { Type: not null } source
                || IamImpersonation.FromUrl(parameters.ServiceAccountImpersonationUrl ?? "", parameters.Delegates) is not { } step)
                throw new RegistryException("auth_unavailable",
                    $"Google credentials file '{file}' needs source_credentials and a service_account_impersonation_url");
            chain.Add(step);
            parameters = source;
        }
        else if (parameters.ServiceAccountImpersonationUrl is { } url)
        {
            chain.Add(IamImpersonation.FromUrl(url, null)
                ?? throw new RegistryException("auth_unavailable", $"Google credentials file '{file}' has a service_account_impersonation_url that is not an http(s) URL"));
            parameters.ServiceAccountImpersonationUrl = null;
        }
        if (tokenEndpoint is not null)
        {
            parameters.TokenUri = tokenEndpoint.AbsoluteUri;   // service account keys
            parameters.TokenUrl = tokenEndpoint.AbsoluteUri;   // external accounts (STS)
        }
        try
        {
            var json = NewtonsoftJsonSerializer.Instance.Serialize(parameters);
            return new GoogleSignIn(CredentialFactory.FromJson(json, parameters.Type), description, chain);
        }
        catch (InvalidOperationException ex)
        {
            throw new RegistryException("auth_unavailable", $"cannot use Google credentials file '{file}': {ex.Message}", ex);
        }
    }

    private static async Task<JsonCredentialParameters> ReadFileAsync(string registry, string file, CancellationToken cancellationToken)
    {
        JsonCredentialParameters? parameters;
        try
        {
            var json = await File.ReadAllTextAsync(file, cancellationToken);
            parameters = NewtonsoftJsonSerializer.Instance.Deserialize<JsonCredentialParameters>(json);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RegistryException("auth_unavailable", $"cannot read Google credentials file '{file}': {ex.Message}", ex);
        }
        catch (Newtonsoft.Json.JsonException ex)
        {
            // The parser's message can quote file content, i.e. key material: say where, not what.
            throw new RegistryException("auth_unavailable", $"Google credentials file '{file}' is not valid JSON ({ex.GetType().Name})", ex);
        }
        if (parameters?.Type is not { } type || !FileTypes.Contains(type))
            throw new RegistryException("auth_unavailable",
                $"Google credentials file '{file}' has type '{parameters?.Type}', expected one of {string.Join(", ", FileTypes)}");
        return parameters;
    }

    private static async Task<GoogleSignIn> ApplicationDefaultAsync(string registry, CancellationToken cancellationToken)
    {
        try
        {
            var credential = await GoogleCredential.GetApplicationDefaultAsync(cancellationToken);
            var description = credential.UnderlyingCredential is ComputeCredential ? "the GCE/GKE metadata server" : "application default credentials";
            return new GoogleSignIn(credential, description, []);
        }
        catch (InvalidOperationException ex)
        {
            throw new RegistryException("auth_unavailable",
                $"no Google credentials found: set credentialsFile or GOOGLE_APPLICATION_CREDENTIALS, or run on GKE with workload identity ({ex.Message})", ex);
        }
    }
}
