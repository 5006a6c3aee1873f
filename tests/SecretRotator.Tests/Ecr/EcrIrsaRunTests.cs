using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Kubernetes;
using SecretRotator.Registries.Ecr;
using SecretRotator.Tests.Fakes.Ecr;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Ecr;

/// <summary>`run` as it runs in an EKS pod: IRSA variables, STS and ECR reached through AWS_ENDPOINT_URL_*, nothing injected.</summary>
[Collection(AwsProcessEnvironmentGroup.Name)]
public sealed class EcrIrsaRunTests(AwsFakesFixture fakes)
{
    [Fact]
    public async Task Run_IrsaWithCrossAccountRole_WritesSecretFromAssumedRoleToken()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var token = "projected-" + Guid.NewGuid().ToString("N");
        var tokenFile = h.WriteFile("token", token);
        fakes.Sts.Clear();
        fakes.Sts.ExpectedWebIdentityToken = token;
        using var env = new AwsEnvironmentScope(new Dictionary<string, string>
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_ROLE_ARN"] = "arn:aws:iam::111122223333:role/rotator-irsa",
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile,
            ["AWS_ENDPOINT_URL_STS"] = fakes.Sts.Address.ToString(),
            ["AWS_ENDPOINT_URL_ECR"] = fakes.Ecr.Address.ToString(),
        });
        h.Configure = services => services.AddSingleton(new EcrHttpOptions { RetryDelay = TimeSpan.Zero });
        var config = h.WriteConfig("""
            registries:
              - name: shared-ecr
                type: ecr
                region: us-east-1
                accounts: ["444455556666"]
                roleArn: arn:aws:iam::444455556666:role/ecr-pull
            secrets:
              - name: regcred
                registries: [shared-ecr]
                namespaces: {names: [default]}
            """);

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["AssumeRoleWithWebIdentity", "AssumeRole"], fakes.Sts.Requests.Select(r => r.Action));
        var ecr = fakes.Ecr.Requests[^1];
        Assert.Equal(fakes.Sts.Requests[1].Issued!.AccessKeyId, ecr.Signature!.AccessKeyId);
        using var json = JsonDocument.Parse(h.Secret("default", "regcred").Data[ManagedSecret.DataKey]);
        var entry = json.RootElement.GetProperty("auths").GetProperty("444455556666.dkr.ecr.us-east-1.amazonaws.com");
        Assert.Equal(fakes.Ecr.Password, entry.GetProperty("password").GetString());
        Assert.DoesNotContain(fakes.Sts.Requests[1].Issued!.SessionToken!, result.All, StringComparison.Ordinal);
    }
}
