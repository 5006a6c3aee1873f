using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Telemetry;
using SecretRotator.Tests.Fakes.Webhook;
using SecretRotator.Tests.TestSupport;
using SecretRotator.Webhook;
using static SecretRotator.Tests.Webhook.AdmissionTestReviews;

namespace SecretRotator.Tests.Webhook;

/// <summary>
/// The AdmissionReview wire format, pinned by golden files after the Kubernetes documentation (TestData/admission): the
/// uid echoed, patchType JSONPatch, the patch base64; and a review that cannot be read is allowed unchanged.
/// </summary>
public sealed class AdmissionWireFormatTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly RotatorMetrics _metrics;
    private readonly FakeAdmissionSource _source = new();
    private readonly FakeLogCollector _logs = new();

    public AdmissionWireFormatTests()
    {
        _metrics = new RotatorMetrics(_services.GetRequiredService<IMeterFactory>());
        _source.AddNamespace("team-a");
        _source.Servers["regcred"] = ["registry.example.com"];
    }

    private AdmissionHandler Handler() =>
        new(new AdmissionMutator(Config(), _source), _metrics, new FakeTimeProvider(), new FakeLogger<AdmissionHandler>(_logs));

    private static string Serialize(AdmissionReview review) => JsonSerializer.Serialize(review, AdmissionJson.Default.AdmissionReview);

    [Fact]
    public async Task Decide_DocumentedPodCreateRequest_AnswersTheGoldenResponse()
    {
        var request = await File.ReadAllTextAsync(TestData.Path("admission/pod-create-request.json"), Ct);

        var (review, _) = await Handler().DecideAsync(Body(request), AdmissionKind.Pod, Ct);

        var golden = JsonNode.Parse(await File.ReadAllTextAsync(TestData.Path("admission/pod-create-response.json"), Ct));
        Assert.True(JsonNode.DeepEquals(golden, JsonNode.Parse(Serialize(review))), Serialize(review));
    }

    [Fact]
    public void Serialize_DocumentedPatch_IsTheDocumentedBase64()
    {
        var golden = JsonNode.Parse(File.ReadAllText(TestData.Path("admission/docs-response-example.json")));
        var review = new AdmissionReview
        {
            ApiVersion = "admission.k8s.io/v1",
            Kind = "AdmissionReview",
            Response = new AdmissionResponse
            {
                Uid = "705ab4f5-6393-11e8-b7cc-42010a800002",
                Allowed = true,
                PatchType = "JSONPatch",
                Patch = Encoding.UTF8.GetBytes("""[{"op": "add", "path": "/spec/replicas", "value": 3}]"""),
            },
        };

        Assert.True(JsonNode.DeepEquals(golden, JsonNode.Parse(Serialize(review))), Serialize(review));
    }

    [Fact]
    public async Task Decide_NothingToAdd_EchoesUidAllowedWithoutPatchType()
    {
        var (review, _) = await Handler().DecideAsync(Body(Pod("team-a", ["nginx:1.27"], uid: "uid-public")), AdmissionKind.Pod, Ct);

        var response = JsonNode.Parse(Serialize(review))!["response"]!;
        Assert.Equal("uid-public", (string?)response["uid"]);
        Assert.True((bool?)response["allowed"]);
        Assert.Null(response["patchType"]);
        Assert.Null(response["patch"]);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"CREATE","namespace":"team-a","object":{"spec":{"containers":"not-a-list"}}}}""")]
    public async Task Decide_MalformedReview_AllowedUnchangedAndCounted(string body)
    {
        using var durations = new MetricCollector<double>(_services.GetRequiredService<IMeterFactory>(), RotatorMetrics.MeterName, MetricNames.AdmissionDuration);

        var (review, mutation) = await Handler().DecideAsync(Body(body), AdmissionKind.Pod, Ct);
        _metrics.AdmissionReview(mutation.Outcome, TimeSpan.FromMilliseconds(1));

        Assert.Equal(AdmissionOutcomes.Invalid, mutation.Outcome);
        Assert.True(review.Response!.Allowed);
        Assert.Null(review.Response.Patch);
        Assert.Empty(_source.Ensures);
        Assert.Equal("invalid", durations.LastMeasurement!.Tags["outcome"]);
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 5802);
    }

    [Fact]
    public async Task Decide_EnsureFails_AllowedUnchangedAndLogged()
    {
        _source.FailWith = "create secrets in team-a failed: HTTP 500 InternalError";

        var (review, mutation) = await Handler().DecideAsync(Body(Pod("team-a", [PrivateImage])), AdmissionKind.Pod, Ct);

        Assert.Equal(AdmissionOutcomes.Failed, mutation.Outcome);
        Assert.True(review.Response!.Allowed);
        Assert.Null(review.Response.PatchType);
        Assert.Null(review.Response.Patch);
        var log = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == 5801);
        Assert.Contains("HTTP 500", log.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _services.Dispose();
    }
}
