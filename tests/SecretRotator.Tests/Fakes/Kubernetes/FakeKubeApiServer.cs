using System.Net;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>
/// A loopback Kubernetes API server (core/v1 namespaces, secrets, serviceaccounts) for driving the real
/// <see cref="k8s.Kubernetes"/> client over HTTP. It keeps state like the apiserver (resourceVersion, uid, optimistic
/// concurrency, Secret validation, watches), answers errors with the apiserver's Status bodies, and lets tests inject
/// RBAC denials and transport faults and read a journal of every request.
/// </summary>
public sealed partial class FakeKubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FakeKubeStore _store;
    private readonly FaultInjector _faults;
    private readonly FakeRbac _rbac;
    private readonly FakeKubeHandler _handler;
    private readonly CancellationTokenSource _stopping;

    private FakeKubeApiServer(WebApplication app, FakeKubeStore store, FaultInjector faults, FakeRbac rbac, FakeKubeHandler handler,
        CancellationTokenSource stopping, Uri url)
    {
        (_app, _store, _faults, _rbac, _handler, _stopping, Url) = (app, store, faults, rbac, handler, stopping, url);
    }

    /// <summary>Base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Url { get; }

    /// <param name="time">Clock for creationTimestamp; defaults to the system clock.</param>
    public static async Task<FakeKubeApiServer> StartAsync(TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        var store = new FakeKubeStore(time ?? TimeProvider.System);
        var faults = new FaultInjector();
        var rbac = new FakeRbac();
        var stopping = new CancellationTokenSource();
        var handler = new FakeKubeHandler(store, faults, rbac, stopping.Token);
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FakeKubeApiServer(app, store, faults, rbac, handler, stopping, new Uri(address + "/"));
    }

    /// <summary>A real KubernetesClient pointed at this fake; <paramref name="handlers"/> go into its HTTP pipeline (outermost first).</summary>
    public IKubernetes CreateClient(params DelegatingHandler[] handlers) =>
        new SecretRotator.Kubernetes.Lists.LeanListKubernetes(new KubernetesClientConfiguration { Host = Url.ToString() }, handlers);

    // ---- RBAC ----

    /// <summary>The user named in Forbidden messages.</summary>
    public string User
    {
        get => _rbac.User;
        set => _rbac.User = value;
    }

    public void Deny(RbacDenyRule rule) => _rbac.Deny(rule);

    /// <summary>Whitelist mode: only requests this allows are served, the rest answered 403 (null: allow all).</summary>
    public Func<KubeRequestInfo, bool>? Allow
    {
        get => _rbac.Allow;
        set => _rbac.Allow = value;
    }

    public void ClearDenyRules() => _rbac.Clear();

    // ---- faults ----

    /// <summary>Called for every request not served by a queued fault; return null to serve normally.</summary>
    public Func<KubeRequestInfo, KubeFault?>? FaultHook
    {
        get => _faults.Hook;
        set => _faults.Hook = value;
    }

    /// <summary>Answers the next <paramref name="times"/> requests matching <paramref name="when"/> (default: any) with <paramref name="fault"/>.</summary>
    public void FailNext(KubeFault fault, int times = 1, Func<KubeRequestInfo, bool>? when = null) => _faults.Enqueue(fault, times, when);

    /// <summary>Seeded random faults for every request the plan applies to; null turns it off.</summary>
    public void UseFaultPlan(FaultPlan? plan) => _faults.UsePlan(plan);

    public InjectedFaultCounts InjectedFaults => _faults.Counts;

    /// <summary>Drops queued faults, the hook, the plan and the counters.</summary>
    public void ResetFaults() => _faults.Reset();

    // ---- bookmarks ----

    /// <summary>How often a watch with allowWatchBookmarks=true gets a BOOKMARK (default 1 min, as the apiserver); null: never.</summary>
    public TimeSpan? BookmarkInterval
    {
        get => _handler.Bookmarks.Interval;
        set => _handler.Bookmarks.Interval = value;
    }

    /// <summary>Every BOOKMARK written, in order; <see cref="SentBookmark.Stream"/> numbers watch streams from 1.</summary>
    public IReadOnlyList<SentBookmark> Bookmarks => _handler.Bookmarks.Sent;

    /// <summary>Watch streams opened so far (including those answered with a 410 ERROR event).</summary>
    public int WatchStreamsOpened => _handler.Bookmarks.StreamsOpened;

    // ---- journal ----

    /// <summary>Every request in arrival-completion order (watches are recorded when their stream starts).</summary>
    public IReadOnlyList<KubeRequestRecord> Journal => _handler.Journal;

    /// <summary>create/update/patch/delete requests, including failed ones.</summary>
    public IReadOnlyList<KubeRequestRecord> Writes => [.. _handler.Journal.Where(r => r.IsWrite)];

    /// <summary>Requests with this verb (get, list, watch, create, update, patch, delete) on this resource.</summary>
    public int CountRequests(string verb, string resource) => _handler.Journal.Count(r => r.Verb == verb && r.Resource == resource);

    public void ClearJournal() => _handler.ClearJournal();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync(); // ends open watches so shutdown does not wait for them
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
