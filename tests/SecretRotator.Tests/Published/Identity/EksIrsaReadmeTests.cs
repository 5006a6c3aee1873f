using k8s.Models;
using SecretRotator.Tests.Chart;

namespace SecretRotator.Tests.Published.Identity;

/// <summary>
/// README's "EKS with IRSA" install, as the pod runs it: the chart rendered with README's values, the ServiceAccount's
/// role annotation turned into the variables and projected token the EKS pod identity webhook injects, and the
/// shipped binary run with the chart's config and environment. Only STS and ECR are loopback fakes.
/// </summary>
public sealed class EksIrsaReadmeTests(AwsFakes aws) : IClassFixture<AwsFakes>
{
    [Fact]
    public async Task Run_ReadmeEksIrsaValues_AssumesTheAnnotatedRoleWithTheProjectedTokenAndWritesTheSecret()
    {
        // Arrange: README's values, rendered.
        var values = Assert.Single(ReadmeInstallTests.ValuesBlocks(), b => b.Contains("eks.amazonaws.com/role-arn", StringComparison.Ordinal));
        var template = await HelmChart.TemplateWithValuesAsync(values);
        Assert.True(template.ExitCode == 0, template.ToString());
        var rendered = Rendered.Parse(template.Stdout);
        var cronJob = rendered.Single<V1CronJob>();
        var pod = cronJob.Spec.JobTemplate.Spec.Template.Spec;
        var account = Assert.Single(rendered.Of<V1ServiceAccount>(), a => a.Metadata.Name == pod.ServiceAccountName);
        var roleArn = account.Metadata.Annotations["eks.amazonaws.com/role-arn"];
        aws.Rig.Api.AddNamespace("team-payments");

        // What the EKS pod identity webhook adds to a pod whose ServiceAccount has that annotation (the token file in a
        // temp folder instead of /var/run/secrets/eks.amazonaws.com/serviceaccount/token), plus the container's own env.
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var variable in pod.Containers.Single().Env ?? []) environment[variable.Name] = variable.Value;
        var tokenDirectory = Directory.CreateDirectory(Path.Combine(aws.Rig.Directory, "var/run/secrets/eks.amazonaws.com/serviceaccount"));
        environment["AWS_ROLE_ARN"] = roleArn;
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = aws.Rig.WriteFile(Path.Combine(tokenDirectory.FullName, "token"), aws.ProjectedToken);
        environment["AWS_STS_REGIONAL_ENDPOINTS"] = "regional";
        environment["AWS_DEFAULT_REGION"] = "us-east-1";
        environment["AWS_REGION"] = "us-east-1";
        environment["AWS_ENDPOINT_URL_STS"] = aws.Sts.Address.ToString();
        environment["AWS_ENDPOINT_URL_ECR"] = aws.Ecr.Address.ToString();
        var stsBefore = aws.Sts.Requests.Count;
        var ecrBefore = aws.Ecr.Requests.Count;

        // Act
        var run = await aws.Rig.RunAsync(rendered.ConfigYaml, environment);

        // Assert
        Assert.True(run.ExitCode == 0, run.ToString());
        var sts = Assert.Single(aws.Sts.Requests.Skip(stsBefore));
        Assert.Equal(("AssumeRoleWithWebIdentity", roleArn, aws.ProjectedToken), (sts.Action, sts.Form["RoleArn"], sts.Form["WebIdentityToken"]));
        var ecr = Assert.Single(aws.Ecr.Requests.Skip(ecrBefore));
        Assert.Equal(sts.Issued!.AccessKeyId, ecr.Signature!.AccessKeyId);
        var host = new Uri(aws.Ecr.ProxyEndpoint!).Host;
        Assert.Equal(ProcessRig.Expected((host, "AWS", aws.Ecr.Password)), aws.Rig.DockerConfigJson("team-payments", "ecr-pull", run));
        Assert.Contains("ecr-pull", (aws.Rig.Api.GetServiceAccount("team-payments", "default")?.ImagePullSecrets ?? []).Select(r => r.Name));
    }
}
