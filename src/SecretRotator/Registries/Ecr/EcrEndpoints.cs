namespace SecretRotator.Registries.Ecr;

/// <summary>An AWS partition as far as ECR host names are concerned.</summary>
public sealed record AwsPartition(string Id, string DnsSuffix, string? DualStackDnsSuffix);

/// <summary>
/// ECR API endpoints and registry host names per partition, following the ECR endpoint rule set
/// (see shared/testdata/ecr-endpoints.txt). Overrides: per-registry <c>endpoint:</c>, then
/// AWS_ENDPOINT_URL_ECR, then AWS_ENDPOINT_URL.
/// </summary>
public static class EcrEndpoints
{
    public const string PublicHost = "public.ecr.aws";
    public const string PublicRegion = "us-east-1";
    public static readonly Uri PublicApi = new("https://api.ecr-public.us-east-1.amazonaws.com");

    private static readonly AwsPartition Aws = new("aws", "amazonaws.com", "api.aws");
    private static readonly AwsPartition China = new("aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn");
    private static readonly AwsPartition GovCloud = new("aws-us-gov", "amazonaws.com", "api.aws");

    // Isolated partitions: host suffixes are published, dual-stack endpoints are not, so dualStack is refused there.
    private static readonly (string Prefix, AwsPartition Partition)[] Isolated =
    [
        ("us-isob-", new AwsPartition("aws-iso-b", "sc2s.sgov.gov", null)),
        ("us-isof-", new AwsPartition("aws-iso-f", "csp.hci.ic.gov", null)),
        ("us-iso-", new AwsPartition("aws-iso", "c2s.ic.gov", null)),
        ("eu-isoe-", new AwsPartition("aws-iso-e", "cloud.adc-e.uk", null)),
    ];

    public static AwsPartition PartitionOf(string region)
    {
        if (region.StartsWith("cn-", StringComparison.Ordinal)) return China;
        if (region.StartsWith("us-gov-", StringComparison.Ordinal)) return GovCloud;
        foreach (var (prefix, partition) in Isolated)
            if (region.StartsWith(prefix, StringComparison.Ordinal)) return partition;
        return Aws;
    }

    /// <summary>The regional API endpoint from the rule set, without overrides.</summary>
    public static Uri ApiEndpoint(string region, bool fips, bool dualStack)
    {
        var partition = PartitionOf(region);
        if (dualStack)
        {
            var suffix = partition.DualStackDnsSuffix
                ?? throw new ArgumentException($"dual-stack endpoints are not available in partition {partition.Id}", nameof(dualStack));
            return new Uri($"https://api.{(fips ? "ecr-fips" : "ecr")}.{region}.{suffix}");
        }
        if (!fips) return new Uri($"https://api.ecr.{region}.{partition.DnsSuffix}");
        // The rule set gives aws and aws-us-gov their historical FIPS host names.
        return partition.Id is "aws" or "aws-us-gov"
            ? new Uri($"https://ecr-fips.{region}.amazonaws.com")
            : new Uri($"https://api.ecr-fips.{region}.{partition.DnsSuffix}");
    }

    /// <summary>The private registry host of one account: what <c>docker pull</c> names and the auths key.</summary>
    public static string RegistryHost(string account, string region) =>
        $"{account}.dkr.ecr.{region}.{PartitionOf(region).DnsSuffix}";

    /// <summary>
    /// The auths keys for one account. Images name the host they are pulled from, and the kubelet matches the auths key
    /// against it, so with <c>fips</c> / <c>dualStack</c> the registry host of that mode comes first
    /// (<c>dkr.ecr-fips.REGION.amazonaws.com</c>, <c>dkr-ecr.REGION.on.aws</c>, <c>dkr-ecr-fips.REGION.on.aws</c>,
    /// per the AWS General Reference and the ECR user guide; see docs/ecr.md), followed by the standard host, which
    /// the same token also opens. Dual-stack registry hosts are published for the aws and aws-us-gov partitions only.
    /// </summary>
    public static IReadOnlyList<string> RegistryHosts(string account, string region, bool fips, bool dualStack)
    {
        var partition = PartitionOf(region);
        var hosts = new List<string>();
        if (dualStack && partition.Id is "aws" or "aws-us-gov") hosts.Add($"{account}.{(fips ? "dkr-ecr-fips" : "dkr-ecr")}.{region}.on.aws");
        if (fips) hosts.Add($"{account}.dkr.ecr-fips.{region}.{partition.DnsSuffix}");
        hosts.Add(RegistryHost(account, region));
        return hosts;
    }

    /// <summary>
    /// The endpoint actually called: the registry's own <c>endpoint:</c> (VPC endpoints) wins, then the
    /// service-specific environment variable, then AWS_ENDPOINT_URL, then <paramref name="resolved"/>.
    /// </summary>
    public static Uri Select(Uri? configured, AwsEnvironment environment, string serviceVariable, Uri resolved)
    {
        if (configured is not null) return configured;
        return environment.EndpointUrl(serviceVariable) ?? environment.EndpointUrl("AWS_ENDPOINT_URL") ?? resolved;
    }
}
