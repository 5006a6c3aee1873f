using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Telemetry;

/// <summary>
/// Pushes metric families to a Prometheus Pushgateway. The Pushgateway keeps the last push of each grouping key, and
/// PUT replaces a whole group, so a CronJob's pushes are split:
/// <list type="bullet">
/// <item>the run group {job="secret-rotator", instance} is PUT: counters and the duration histogram describe the latest run;</item>
/// <item>each registry group {job, instance, registry} is POSTed with only the per-registry gauges this run recorded.
/// POST replaces only the metric names it carries, so a registry that failed (no last_success recorded) keeps the
/// last_success of the run in which it last succeeded, and one whose token fetch failed keeps its old expiry.</item>
/// </list>
/// User info in the URL (https://user:pass@host) becomes a Basic Authorization header and is never logged.
/// </summary>
public sealed partial class PushgatewayClient(IHttpClientFactory httpClientFactory, ILogger<PushgatewayClient> logger)
{
    public const string Job = "secret-rotator";
    public const string HttpClientName = "pushgateway";

    /// <summary>One request: method, grouping key and the families in the body.</summary>
    public sealed record PushGroup(HttpMethod Method, IReadOnlyList<KeyValuePair<string, string>> GroupingKey, IReadOnlyList<MetricFamily> Families)
    {
        public override string ToString() => string.Join(',', GroupingKey.Select(k => $"{k.Key}={k.Value}"));
    }

    /// <summary>Pushes every group; true when the Pushgateway accepted all of them. Transport errors throw.</summary>
    public async Task<bool> PushAsync(Uri gateway, string? instance, IReadOnlyList<MetricFamily> families, CancellationToken ct)
    {
        var endpoint = TelemetryLog.Redact(gateway);
        var groups = Plan(families, instance);
        var http = httpClientFactory.CreateClient(HttpClientName);
        var accepted = true;
        foreach (var group in groups)
        {
            using var request = new HttpRequestMessage(group.Method, GroupUri(gateway, group.GroupingKey))
            {
                Content = new StringContent(PrometheusText.Write(group.Families), Encoding.UTF8),
            };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(PrometheusText.ContentType);
            request.Headers.Authorization = BasicAuth(gateway);
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode) continue;

            var body = await response.Content.ReadAsStringAsync(ct);
            TelemetryLog.PushRejected(logger, endpoint, group.Method.Method, group.ToString(), (int)response.StatusCode, body.Length > 500 ? body[..500] : body);
            accepted = false;
        }
        if (accepted) TelemetryLog.Pushed(logger, endpoint, groups.Count, groups.Sum(g => g.Families.Sum(f => f.Samples.Count)));
        return accepted;
    }

    /// <summary>Splits a collection into the run group (PUT) and one group per registry for the per-registry gauges (POST).</summary>
    public static IReadOnlyList<PushGroup> Plan(IReadOnlyList<MetricFamily> families, string? instance)
    {
        List<KeyValuePair<string, string>> runKey = [new("job", Job)];
        if (!string.IsNullOrEmpty(instance)) runKey.Add(new("instance", instance));

        var gauges = families.Where(f => MetricNames.PerRegistryGauges.Contains(f.Name)).ToList();
        var groups = new List<PushGroup> { new(HttpMethod.Put, runKey, families.Except(gauges).ToList()) };
        var registries = gauges.SelectMany(f => f.Samples).Select(s => s.Label("registry")).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        foreach (var registry in registries)
        {
            var perRegistry = gauges.Select(f => f.Where(s => s.Label("registry") == registry)).Where(f => f.Samples.Count > 0).ToList();
            groups.Add(new PushGroup(HttpMethod.Post, [.. runKey, new("registry", registry)], perRegistry));
        }
        return groups;
    }

    /// <summary>{gateway}/metrics/job/secret-rotator[/instance/..][/registry/..]; values outside [A-Za-z0-9._-] go base64url-encoded.</summary>
    public static Uri GroupUri(Uri gateway, IReadOnlyList<KeyValuePair<string, string>> groupingKey)
    {
        var path = new StringBuilder(gateway.AbsolutePath.TrimEnd('/')).Append("/metrics");
        foreach (var (name, value) in groupingKey)
        {
            path.Append('/').Append(name);
            if (value.Length > 0 && PlainValue().IsMatch(value)) path.Append('/').Append(value);
            else path.Append("@base64/").Append(value.Length == 0 ? "=" : Convert.ToBase64String(Encoding.UTF8.GetBytes(value)).Replace('+', '-').Replace('/', '_'));
        }
        return new UriBuilder(gateway) { UserName = "", Password = "", Path = path.ToString(), Query = "", Fragment = "" }.Uri;
    }

    private static AuthenticationHeaderValue? BasicAuth(Uri gateway)
    {
        if (string.IsNullOrEmpty(gateway.UserInfo)) return null;
        var parts = gateway.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(parts[0]);
        var password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "";
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex PlainValue();
}
