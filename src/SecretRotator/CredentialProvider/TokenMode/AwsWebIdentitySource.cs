using System.Xml;
using System.Xml.Linq;
using Amazon.Runtime;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Ecr;

namespace SecretRotator.CredentialProvider.TokenMode;

/// <summary>
/// AWS token mode, as the upstream ECR plugin does it: STS AssumeRoleWithWebIdentity with the pod's token for the role
/// in the service account annotation <see cref="RoleAnnotation"/>, then GetAuthorizationToken signed as that role.
/// AssumeRoleWithWebIdentity is unsigned, so this is one form POST of our own: no SDK STS client (which the Native AOT
/// binary would have to register) and no node credentials involved.
/// </summary>
public sealed class AwsWebIdentitySource(IHttpClientFactory httpClients, IEnumerable<IRegistryProvider> providers, AwsEnvironment environment) : ITokenModeSource
{
    public const string RoleAnnotation = "eks.amazonaws.com/ecr-role-arn";
    public const string StsEndpointVariable = "AWS_ENDPOINT_URL_STS";
    public const string SessionName = "secret-rotator-credential-provider";
    private static readonly XNamespace Sts = "https://sts.amazonaws.com/doc/2011-06-15/";

    public string RegistryType => "ecr";

    public async Task<RegistryCredential> ExchangeAsync(RegistryDefinition registry, ServiceAccountToken token, CancellationToken cancellationToken)
    {
        var role = token.Require(RoleAnnotation);
        var region = registry.OptionsAs<EcrRegistryOptions>().Region;
        var endpoint = environment.EndpointUrl(StsEndpointVariable) ?? new Uri($"https://sts.{region}.amazonaws.com/");
        var form = new Dictionary<string, string>
        {
            ["Action"] = "AssumeRoleWithWebIdentity",
            ["Version"] = "2011-06-15",
            ["RoleArn"] = role,
            ["RoleSessionName"] = SessionName,
            ["WebIdentityToken"] = token.Value,
        };
        using var response = await TokenModeHttp.PostAsync(httpClients, endpoint, new FormUrlEncodedContent(form), "STS AssumeRoleWithWebIdentity", cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        XDocument xml;
        try
        {
            xml = XDocument.Parse(body);
        }
        catch (XmlException e)
        {
            throw new CredentialProviderException($"STS AssumeRoleWithWebIdentity for {role} at {endpoint} answered HTTP {(int)response.StatusCode} without XML", e);
        }
        if (!response.IsSuccessStatusCode)
        {
            var error = xml.Descendants(Sts + "Error").FirstOrDefault();
            throw new CredentialProviderException($"STS refused AssumeRoleWithWebIdentity for {role}: HTTP {(int)response.StatusCode} " +
                $"{error?.Element(Sts + "Code")?.Value ?? "(no code)"}: {error?.Element(Sts + "Message")?.Value ?? "(no message)"}");
        }
        var credentials = xml.Descendants(Sts + "Credentials").FirstOrDefault();
        var (key, secret, session) = (credentials?.Element(Sts + "AccessKeyId")?.Value, credentials?.Element(Sts + "SecretAccessKey")?.Value, credentials?.Element(Sts + "SessionToken")?.Value);
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(session))
            throw new CredentialProviderException($"STS AssumeRoleWithWebIdentity for {role} answered without credentials");

        try
        {
            return await providers.OfType<EcrRegistryProvider>().Single().GetCredentialAsync(registry, new SessionAWSCredentials(key, secret, session), cancellationToken);
        }
        catch (RegistryException e)
        {
            throw new CredentialProviderException($"ECR GetAuthorizationToken as {role} failed: {e.Message}", e);
        }
    }
}
