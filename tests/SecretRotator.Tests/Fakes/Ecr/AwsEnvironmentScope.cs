namespace SecretRotator.Tests.Fakes.Ecr;

/// <summary>
/// Sets AWS environment variables for one test and restores every one on dispose. Starts from a blank AWS
/// environment (no keys, profiles, metadata service) so the machine's own setup cannot leak in.
/// Only for tests in <see cref="AwsProcessEnvironmentGroup"/>: the process environment is global.
/// </summary>
public sealed class AwsEnvironmentScope : IDisposable
{
    private static readonly string[] Controlled =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_ECR",
        "AWS_ENDPOINT_URL_ECR_PUBLIC", "AWS_EC2_METADATA_DISABLED", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
    ];

    private readonly Dictionary<string, string?> _saved;

    public AwsEnvironmentScope(IReadOnlyDictionary<string, string> values)
    {
        _saved = Controlled.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        foreach (var name in Controlled) Environment.SetEnvironmentVariable(name, null);
        var missing = Path.Combine(Path.GetTempPath(), "secret-rotator-tests-no-such-file");
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", missing);
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", missing);
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        foreach (var (name, value) in values)
        {
            if (!Controlled.Contains(name)) throw new ArgumentException($"{name} is not restored by this scope", nameof(values));
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
    }
}

/// <summary>Tests that change AWS process environment variables: run alone, sharing one set of fakes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AwsProcessEnvironmentGroup : ICollectionFixture<AwsFakesFixture>
{
    public const string Name = "AWS process environment";
}

/// <summary>One set of fakes for the whole collection, so AWS_ENDPOINT_URL_STS keeps one value for the process.</summary>
public sealed class AwsFakesFixture : IAsyncLifetime
{
    public AwsTestKeys Keys { get; } = new();
    public FakeStsServer Sts { get; private set; } = null!;
    public FakeEcrServer Ecr { get; private set; } = null!;
    public FakeContainerCredentialsServer PodIdentity { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Sts = await FakeStsServer.StartAsync(Keys);
        Ecr = await FakeEcrServer.StartAsync(Keys);
        PodIdentity = await FakeContainerCredentialsServer.StartAsync(Keys);
    }

    public async ValueTask DisposeAsync()
    {
        await Sts.DisposeAsync();
        await Ecr.DisposeAsync();
        await PodIdentity.DisposeAsync();
    }
}

