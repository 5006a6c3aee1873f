using Google.Apis.Auth.OAuth2;
using Google.Apis.Json;

namespace SecretRotator.Registries.Gcr;

/// <summary>
/// A Google credential scoped for Artifact Registry and how it was found (for messages); with
/// <paramref name="Impersonate"/>, its token is the caller of IAM generateAccessToken at <paramref name="IamEndpoint"/>.
/// </summary>
public sealed record GoogleSignIn(GoogleCredential Credential, string Description, string? Impersonate = null, Uri? IamEndpoint = null);

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
            ? FromParameters(file, await ReadFileAsync(registry, file, options.Endpoint, cancellationToken))
            : options.Endpoint is not null
                ? new GoogleSignIn(new ComputeCredential(new ComputeCredential.Initializer(options.Endpoint.AbsoluteUri)).ToGoogleCredential(), $"the metadata server at {options.Endpoint}")
                : await ApplicationDefaultAsync(registry, cancellationToken);
        // Impersonation is our own IAM call with this credential's token (IamCredentialsClient), whatever the source:
        // GKE workload identity impersonating another service account works, and iamEndpoint is honoured everywhere.
        return signIn with
        {
            Credential = signIn.Credential.CreateScoped(GcrRegistryOptions.Scope),
            Impersonate = options.Impersonate,
            IamEndpoint = options.Impersonate is null ? null : options.IamEndpoint ?? IamCredentialsClient.DefaultEndpoint,
        };
    }

    private static GoogleSignIn FromParameters(string file, JsonCredentialParameters parameters)
    {
        try
        {
            var json = NewtonsoftJsonSerializer.Instance.Serialize(parameters);
            return new GoogleSignIn(CredentialFactory.FromJson(json, parameters.Type), $"{parameters.Type} credentials from '{file}'");
        }
        catch (InvalidOperationException ex)
        {
            throw new RegistryException("auth_unavailable", $"cannot use Google credentials file '{file}': {ex.Message}", ex);
        }
    }

    private static async Task<JsonCredentialParameters> ReadFileAsync(string registry, string file, Uri? tokenEndpoint, CancellationToken cancellationToken)
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

        if (tokenEndpoint is not null)
        {
            parameters.TokenUri = tokenEndpoint.AbsoluteUri;   // service account keys
            parameters.TokenUrl = tokenEndpoint.AbsoluteUri;   // external accounts (STS)
        }
        return parameters;
    }

    private static async Task<GoogleSignIn> ApplicationDefaultAsync(string registry, CancellationToken cancellationToken)
    {
        try
        {
            var credential = await GoogleCredential.GetApplicationDefaultAsync(cancellationToken);
            var description = credential.UnderlyingCredential is ComputeCredential ? "the GCE/GKE metadata server" : "application default credentials";
            return new GoogleSignIn(credential, description);
        }
        catch (InvalidOperationException ex)
        {
            throw new RegistryException("auth_unavailable",
                $"no Google credentials found: set credentialsFile or GOOGLE_APPLICATION_CREDENTIALS, or run on GKE with workload identity ({ex.Message})", ex);
        }
    }
}
