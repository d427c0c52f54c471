#pragma once

#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/socketio_export.h>

#include <chrono>

namespace SocketIo {

class SessionAwareAdapterPrivate;

/*!
  The single-node adapter with connection state recovery (socket.io-adapter's SessionAwareAdapter,
  protocol.md 3). The default adapter when ServerOptions::connectionStateRecovery.enabled is set.

  On top of InMemoryAdapter it keeps:
  - a packet log: every broadcast EVENT without ack id and not volatile gets an offset appended as
    its last argument before it is encoded (once) and delivered, and is logged with the time it
    was emitted, its data (offset included) and its options;
  - the sessions of sockets that disconnected with a recoverable reason, keyed by pid.

  Offsets are opaque strings like yeast ids: the emission time in milliseconds written in
  base 64 ("0-9A-Za-z-_"), with ".<n>" appended (n in the same alphabet, from 0) for further
  offsets within the same millisecond. They are unique within the process, even if the wall clock
  steps back; compare them for equality only (their string order is not emission order).

  Sessions and log entries older than maxDisconnectionDuration() are dropped every 60 seconds
  (cleanup()); restoreSession() also refuses an expired session that was not dropped yet. Expiry
  uses a monotonic clock.

  Deviation from socket.io: a successful restoreSession() removes the session (like the Redis
  streams adapter), so one pid restores at most once; the socket stores a new session when it
  disconnects again.
*/
class SOCKETIO_EXPORT SessionAwareAdapter : public InMemoryAdapter
{
    Q_OBJECT
public:
    /*! An adapter for \a nsp; maxDisconnectionDuration comes from the server's options. */
    explicit SessionAwareAdapter(SocketIo::Namespace *nsp);
    /*! An adapter for \a nsp keeping sessions and packets for \a maxDisconnectionDuration. */
    SessionAwareAdapter(SocketIo::Namespace *nsp, std::chrono::milliseconds maxDisconnectionDuration);
    ~SessionAwareAdapter() override;

    /*! How long sessions and logged packets are kept. */
    std::chrono::milliseconds maxDisconnectionDuration() const;

    /*! Logs \a packet (appending its offset) when it is an EVENT without ack id and not volatile,
        then delivers it like InMemoryAdapter. */
    void broadcast(const SocketIo::Packet &packet, const SocketIo::BroadcastOptions &opts) override;

    /*! Stores \a session (sid, pid, rooms, data) under its pid, stamped with disconnectedAt. */
    void persistSession(const QCborMap &session) override;
    /*! Delivers, synchronously, the session \a pid with the packets logged after \a offset that
        reach its rooms; an empty map if the session is unknown or expired, or \a offset is not in
        the log any more. A delivered session is removed from the store. */
    void restoreSession(const QString &pid, const QString &offset,
                        const std::function<void(const QCborMap &session)> &callback) override;

    /*! Drops expired sessions and log entries now. A timer calls it every 60 seconds; tests and
        applications with tight memory budgets may call it more often. */
    void cleanup();
    /*! Number of stored sessions (expired ones included until cleanup()). */
    int sessionCount() const;
    /*! Number of packets in the log (expired ones included until cleanup()). */
    int packetCount() const;

private:
    std::unique_ptr<SessionAwareAdapterPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(SessionAwareAdapter)
    Q_DISABLE_COPY(SessionAwareAdapter)
};

} // namespace SocketIo
