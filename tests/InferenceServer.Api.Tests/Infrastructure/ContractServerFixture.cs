namespace InferenceServer.Api.Tests.Infrastructure;

/// <summary>One server on the fake model (no llama.cpp), shared by the tests of <see cref="ContractCollection"/>.</summary>
public sealed class ContractServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;
    public string ModelId => Server.ModelId;

    public async Task InitializeAsync() => Server = await TestServer.StartFakeAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
