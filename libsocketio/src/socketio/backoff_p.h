// Reconnection delays of the Socket.IO client: socket.io-client's Backoff (contrib/backo2.ts),
// the same formula so that both clients behave alike (protocol.md 4.2). Header-only so that the
// unit test can drive it with a fixed random source.
#pragma once

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>
#include <functional>

namespace SocketIo::Internal {

class Backoff
{
public:
    /*! Delays in milliseconds; jitter outside (0, 1] means none, as in backo2. A zero min or
        max means backo2's default (`min || 100`, `max || 10000`). */
    Backoff(double min = 100, double max = 10000, double jitter = 0)
        : m_min(min != 0 ? min : 100), m_max(max != 0 ? max : 10000), m_jitter(jitter > 0 && jitter <= 1 ? jitter : 0)
    {
    }

    /*! The next delay: ms = min * 2^attempts (attempts then incremented); with jitter, deviation =
        floor(rand * jitter * ms), subtracted when floor(rand * 10) is even, added when odd; then
        min(ms, max), truncated to an int (JavaScript's `| 0`). */
    int duration()
    {
        double ms = m_min * std::pow(2.0, m_attempts++);
        if (m_jitter > 0) {
            const double rand = m_random ? m_random() : QRandomGenerator::global()->generateDouble();
            const double deviation = std::floor(rand * m_jitter * ms);
            ms = (static_cast<qint64>(std::floor(rand * 10)) & 1) == 0 ? ms - deviation : ms + deviation;
        }
        const double result = std::min(ms, m_max);
        // `| 0` truncates towards zero and wraps to 32 bits; delays beyond 2^31 ms are not useful,
        // so they are clamped instead of wrapped.
        if (result >= 2147483647.0)
            return 2147483647;
        return static_cast<int>(result);
    }

    /*! backo2's setMin/setMax/setJitter at once; the attempt count is kept. */
    void setParameters(double min, double max, double jitter)
    {
        const int attempts = m_attempts;
        std::function<double()> random = std::move(m_random);
        *this = Backoff(min, max, jitter);
        m_attempts = attempts;
        m_random = std::move(random);
    }

    void reset() { m_attempts = 0; }
    int attempts() const { return m_attempts; }
    /*! Replaces Math.random() (values in [0, 1)); null restores the default generator. */
    void setRandomSource(std::function<double()> random) { m_random = std::move(random); }

private:
    double m_min;
    double m_max;
    double m_jitter;
    int m_attempts = 0;
    std::function<double()> m_random;
};

} // namespace SocketIo::Internal
