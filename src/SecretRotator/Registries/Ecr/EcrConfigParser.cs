using System.Text.RegularExpressions;
using SecretRotator.Configuration;

namespace SecretRotator.Registries.Ecr;

/// <summary>Reads and validates the ECR fields, reporting problems with file:line through the <see cref="ConfigMap"/>.</summary>
public static partial class EcrConfigParser
{
    [GeneratedRegex(@"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}\z")]
    private static partial Regex Region();

    [GeneratedRegex(@"^[0-9]{12}\z")]
    private static partial Regex Account();

    [GeneratedRegex(@"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}\z")]
    private static partial Regex RoleArn();

    // STS limits: RoleSessionName 2-64, ExternalId 2-1224, both from [\w+=,.@-] (ExternalId also ':' and '/').
    [GeneratedRegex(@"^[A-Za-z0-9_+=,.@-]{2,64}\z")]
    private static partial Regex SessionName();

    [GeneratedRegex(@"^[A-Za-z0-9_+=,.@:/-]{2,1224}\z")]
    private static partial Regex ExternalId();

    public static EcrRegistryOptions ParseEcr(ConfigMap map)
    {
        var region = map.GetString("region", required: true);
        if (region is not null && !Region().IsMatch(region))
        {
            map.Error("region", $"'{region}' is not an AWS region name such as us-east-1");
            region = null;
        }
        var accounts = map.GetStringList("accounts");
        foreach (var bad in accounts.Where(a => !Account().IsMatch(a)))
            map.Error("accounts", $"'{bad}' is not a 12-digit AWS account id");
        if (accounts.Distinct(StringComparer.Ordinal).Count() != accounts.Count)
            map.Error("accounts", "lists an account twice");

        var fips = map.GetBool("fips", false);
        var dualStack = map.GetBool("dualStack", false);
        if (dualStack && region is not null && EcrEndpoints.PartitionOf(region).DualStackDnsSuffix is null)
            map.Error("dualStack", $"dual-stack endpoints are not available in partition {EcrEndpoints.PartitionOf(region).Id}; set endpoint instead");

        var endpoint = ParseEndpoint(map);
        var role = ParseAssumeRole(map);
        return new EcrRegistryOptions(region ?? "", accounts, role, fips, dualStack, endpoint);
    }

    public static EcrPublicRegistryOptions ParsePublic(ConfigMap map) =>
        new(ParseEndpoint(map), ParseAssumeRole(map));

    private static Uri? ParseEndpoint(ConfigMap map)
    {
        var text = map.GetString("endpoint");
        if (text is null) return null;
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query.Length == 0)
            return uri;
        map.Error("endpoint", "must be an absolute http(s) URL without a query, such as https://vpce-0abc.api.ecr.us-east-1.vpce.amazonaws.com");
        return null;
    }

    private static AwsAssumeRole? ParseAssumeRole(ConfigMap map)
    {
        var roleArn = map.GetString("roleArn");
        var externalId = map.GetString("externalId");
        var sessionName = map.GetString("sessionName");
        if (roleArn is null)
        {
            if (externalId is not null) map.Error("externalId", "needs roleArn");
            if (sessionName is not null) map.Error("sessionName", "needs roleArn");
            return null;
        }
        var ok = true;
        if (!RoleArn().IsMatch(roleArn)) { map.Error("roleArn", "must be an IAM role ARN such as arn:aws:iam::123456789012:role/ecr-pull"); ok = false; }
        if (externalId is not null && !ExternalId().IsMatch(externalId)) { map.Error("externalId", "must be 2-1224 characters of letters, digits and +=,.@:/-"); ok = false; }
        if (sessionName is not null && !SessionName().IsMatch(sessionName)) { map.Error("sessionName", "must be 2-64 characters of letters, digits and +=,.@-"); ok = false; }
        return ok ? new AwsAssumeRole(roleArn, externalId, sessionName ?? AwsAssumeRole.DefaultSessionName) : null;
    }
}
