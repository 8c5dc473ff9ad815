namespace InferenceServer.LlamaSharp.Tests;

public sealed class SeededGumbelSamplerTests
{
    [Theory]
    [InlineData(0UL)]
    [InlineData(ulong.MaxValue)]
    [InlineData(0xFFFFFF0000000000UL)]
    [InlineData(0x0000010000000000UL)]
    public void Uniform_draws_stay_strictly_inside_zero_and_one_so_the_noise_is_finite(ulong bits)
    {
        float u = SeededGumbelSampler.Uniform(bits);

        Assert.InRange(u, float.Epsilon, 1f);
        Assert.True(u > 0f && u < 1f, $"u = {u:R}");
        Assert.True(float.IsFinite(-MathF.Log(-MathF.Log(u))));
    }
}
