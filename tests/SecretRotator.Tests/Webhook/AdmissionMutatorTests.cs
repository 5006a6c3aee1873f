using SecretRotator.Telemetry;
using SecretRotator.Tests.Fakes.Webhook;
using SecretRotator.Webhook;
using static SecretRotator.Tests.Webhook.AdmissionTestReviews;

namespace SecretRotator.Tests.Webhook;

/// <summary>What the webhook adds to a pod or service account, and what it makes exist first.</summary>
public sealed class AdmissionMutatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FakeAdmissionSource _source = new();

    public AdmissionMutatorTests()
    {
        _source.AddNamespace("team-a");
        _source.AddNamespace("other");
        _source.Servers["regcred"] = ["registry.example.com"];
    }

    private AdmissionMutator Mutator(string? selector = null) => new(Config(selector), _source);

    [Fact]
    public async Task Pod_SecretMissing_CreatesItAndAddsTheList()
    {
        var mutation = await Mutator().PodAsync(Request(Pod("team-a", [PrivateImage])), Ct);

        Assert.Equal(AdmissionOutcomes.Created, mutation.Outcome);
        Assert.Equal("""[{"op":"add","path":"/spec/imagePullSecrets","value":[{"name":"regcred"}]}]""", PatchText(mutation.Patch));
        Assert.Equal(new[] { ("regcred", "team-a") }, _source.Creates.ToArray());
    }

    [Fact]
    public async Task Pod_DryRun_PatchesButCreatesNothing()
    {
        var mutation = await Mutator().PodAsync(Request(Pod("team-a", [PrivateImage], dryRun: true)), Ct);

        Assert.Equal(AdmissionOutcomes.DryRun, mutation.Outcome);
        Assert.Equal("""[{"op":"add","path":"/spec/imagePullSecrets","value":[{"name":"regcred"}]}]""", PatchText(mutation.Patch));
        Assert.Equal(new[] { ("regcred", "team-a", true) }, _source.Ensures.ToArray());
        Assert.Empty(_source.Creates);
    }

    [Fact]
    public async Task Pod_AlreadyListsTheSecret_NoPatchButTheSecretIsMadeToExist()
    {
        // The ServiceAccount admission plugin runs first and copies the SA's imagePullSecrets into the pod: the pod
        // names regcred, and in a brand-new namespace regcred may not exist yet.
        var mutation = await Mutator().PodAsync(Request(Pod("team-a", [PrivateImage], pullSecrets: ["regcred"])), Ct);

        Assert.Equal(AdmissionOutcomes.Created, mutation.Outcome);
        Assert.Null(mutation.Patch);
        Assert.Equal(new[] { ("regcred", "team-a") }, _source.Creates.ToArray());
    }

    [Fact]
    public async Task Pod_ListsOtherSecrets_KeepsThemAndAppends()
    {
        _source.Existing[("regcred", "team-a")] = true;

        var mutation = await Mutator().PodAsync(Request(Pod("team-a", [PrivateImage], pullSecrets: ["theirs"])), Ct);

        Assert.Equal(AdmissionOutcomes.Patched, mutation.Outcome);
        Assert.Equal("""[{"op":"add","path":"/spec/imagePullSecrets/-","value":{"name":"regcred"}}]""", PatchText(mutation.Patch));
        Assert.Empty(_source.Creates);
    }

    [Fact]
    public async Task Pod_OnlyPublicImages_NothingAddedNorCreated()
    {
        var mutation = await Mutator().PodAsync(Request(Pod("team-a", ["nginx:1.27", "quay.io/prometheus/node-exporter:v1.8.0"])), Ct);

        Assert.Equal(AdmissionOutcomes.Unchanged, mutation.Outcome);
        Assert.Null(mutation.Patch);
        Assert.Empty(_source.Ensures);
    }

    [Fact]
    public async Task Pod_NamespaceNotSelectedByName_NothingAddedNorLookedUp()
    {
        var mutation = await Mutator().PodAsync(Request(Pod("other", [PrivateImage])), Ct);

        Assert.Equal(AdmissionOutcomes.Unchanged, mutation.Outcome);
        Assert.Null(mutation.Patch);
        Assert.Empty(_source.Ensures);
    }

    [Fact]
    public async Task Pod_NamespaceLabelsDoNotMatchTheSelector_NothingAdded()
    {
        _source.AddNamespace("team-b", new Dictionary<string, string> { ["pull-secrets"] = "disabled" });

        var mutation = await Mutator("pull-secrets=enabled").PodAsync(Request(Pod("team-b", [PrivateImage])), Ct);

        Assert.Equal(AdmissionOutcomes.Unchanged, mutation.Outcome);
        Assert.Empty(_source.Ensures);
    }

    [Fact]
    public async Task Pod_ServiceAccountNotATargetAccountButImagesMatch_SecretAdded()
    {
        // The target lists service account "builder"; the pod runs as "runner". Its image still needs the credential.
        var mutation = await Mutator().PodAsync(Request(Pod("team-a", ["nginx:1.27", PrivateImage], serviceAccount: "runner")), Ct);

        Assert.Equal(AdmissionOutcomes.Created, mutation.Outcome);
        Assert.Equal("""[{"op":"add","path":"/spec/imagePullSecrets","value":[{"name":"regcred"}]}]""", PatchText(mutation.Patch));
    }

    [Fact]
    public async Task Pod_EnsureFails_AllowedWithoutPatch()
    {
        _source.FailWith = "create secrets in team-a failed: HTTP 500";

        var mutation = await Mutator().PodAsync(Request(Pod("team-a", [PrivateImage])), Ct);

        Assert.Equal(AdmissionOutcomes.Failed, mutation.Outcome);
        Assert.Null(mutation.Patch);
        Assert.Contains("HTTP 500", mutation.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pod_NamespaceDoesNotExist_Unchanged()
    {
        var mutation = await Mutator().PodAsync(Request(Pod("team-gone", [PrivateImage])), Ct);

        Assert.Equal(AdmissionOutcomes.Unchanged, mutation.Outcome);
        Assert.Empty(_source.Ensures);
    }

    [Fact]
    public async Task ServiceAccount_TargetAccount_AddedAndRecordedForPrune()
    {
        var mutation = await Mutator().ServiceAccountAsync(Request(ServiceAccount("team-a", "builder")), Ct);

        Assert.Equal(AdmissionOutcomes.Created, mutation.Outcome);
        Assert.Equal("""[{"op":"add","path":"/imagePullSecrets","value":[{"name":"regcred"}]},"""
            + """{"op":"add","path":"/metadata/annotations","value":{"secret-rotator.io/added-pull-secrets":"regcred"}}]""", PatchText(mutation.Patch));
        Assert.Equal(new[] { ("regcred", "team-a") }, _source.Creates.ToArray());
    }

    [Fact]
    public async Task ServiceAccount_NotATargetAccount_Unchanged()
    {
        var mutation = await Mutator().ServiceAccountAsync(Request(ServiceAccount("team-a", "default")), Ct);

        Assert.Equal(AdmissionOutcomes.Unchanged, mutation.Outcome);
        Assert.Empty(_source.Ensures);
    }

    [Fact]
    public async Task ServiceAccount_AlreadyListsTheSecret_NoPatch()
    {
        _source.Existing[("regcred", "team-a")] = true;

        var mutation = await Mutator().ServiceAccountAsync(Request(ServiceAccount("team-a", "builder", pullSecrets: ["regcred"])), Ct);

        Assert.Equal(AdmissionOutcomes.Unchanged, mutation.Outcome);
        Assert.Null(mutation.Patch);
    }
}
