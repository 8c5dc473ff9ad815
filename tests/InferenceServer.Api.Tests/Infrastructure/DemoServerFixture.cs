namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>One server on the built-in demo model, shared by the tests of <see cref="ServerCollection"/>.</summary>
public sealed class DemoServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;
    public string ModelId => Server.Model.ModelId;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
