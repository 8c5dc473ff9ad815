using System.ComponentModel.DataAnnotations;

namespace InferenceServer.LlamaSharp.Tests;

public sealed class ModelOptionsTests
{
    private static List<ValidationResult> Validate(ModelOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Fact]
    public void A_native_library_that_is_not_there_is_refused_by_name()
    {
        var results = Validate(new ModelOptions { NativeLibrary = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "libllama.so") });

        var problem = Assert.Single(results);
        Assert.Equal([nameof(ModelOptions.NativeLibrary)], problem.MemberNames);
        Assert.StartsWith("names no file", problem.ErrorMessage);
    }

    [Fact]
    public void An_existing_native_library_or_none_passes()
    {
        string file = Path.GetTempFileName();
        try
        {
            Assert.Empty(Validate(new ModelOptions { NativeLibrary = file }));
            Assert.Empty(Validate(new ModelOptions()));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
