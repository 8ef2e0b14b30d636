using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// Changes grain state and writes it, handling write conflicts by re-reading and re-applying the change rather than
/// retrying the same write (which would fail again on the stale etag, or overwrite another writer's work).
/// </summary>
public static partial class StateWriter
{
    /// <param name="mutate">Changes the state; returns false when there is nothing to write.</param>
    /// <param name="reapply">Applies the same change to freshly read state after a conflict; false = nothing left to do.</param>
    public static async Task UpdateAsync<T>(IPersistentState<T> state, Func<T, bool> mutate, Func<T, bool> reapply, int maxAttempts, ILogger logger, string key)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        if (!mutate(state.State)) return;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await state.WriteStateAsync();
                return;
            }
            catch (InconsistentStateException e) when (attempt < maxAttempts)
            {
                LogConflict(logger, e, key, attempt);
                await state.ReadStateAsync();
                if (!reapply(state.State)) return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write conflict on {Key} (attempt {Attempt}); re-reading state and re-applying the change")]
    private static partial void LogConflict(ILogger logger, Exception exception, string key, int attempt);
}
