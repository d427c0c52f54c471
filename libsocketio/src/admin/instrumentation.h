#pragma once

#include <SocketIo/adminoptions.h>
#include <SocketIo/socketio_export.h>

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace SocketIo {

class Namespace;
class Server;
class InstrumentationPrivate;

/*!
  The server half of the official Socket.IO Admin UI (@socket.io/admin-ui's instrument(io, opts),
  protocol.md section 5): an admin namespace that the hosted UI (https://admin.socket.io) or the
  admin-ui dashboard of this project connects to.

  \code
  SocketIo::Server io(options);                 // options.cors: the UI's origin, credentials on
  SocketIo::AdminOptions admin;
  admin.auth = SocketIo::AdminAuth::basic(u"admin"_s, bcryptHash);
  SocketIo::Instrumentation instrumentation(&io, admin);
  if (!instrumentation.isValid())
      qFatal("%s", qPrintable(instrumentation.errorString()));
  \endcode

  What it does, as the official instrument() does:
  - authentication middleware on the admin namespace (bcrypt password check, session ids valid
    for AdminOptions::sessionDuration, `session` event before the CONNECT reply,
    connect_error "invalid credentials");
  - `config` (supportedFeatures) and, in development mode, `all_sockets` (fetchSockets() on every
    namespace, so cluster-wide with a cluster adapter) to each new admin socket;
  - `server_stats` once at construction and every AdminOptions::statsInterval;
  - in development mode, socket_connected / socket_updated / socket_disconnected / room_joined /
    room_left / event_received / event_sent for every namespace, including namespaces created
    later (dynamic children); no event_received/event_sent for the admin namespace itself;
  - the commands emit, join, leave and _disconnect (unless readonly).
  Every admin event is a broadcast on the admin namespace, so it goes through that namespace's
  adapter and reaches the admin clients of every node of a cluster.

  Create it before connecting your own Namespace::connection handlers so that socket_connected
  precedes what they report (socket.io's instrument() prepends its listener). Everything runs on
  the server's thread. Destroying it removes the reporting; the admin namespace and its
  middleware stay (socket.io cannot remove namespaces either): with basic authentication that
  middleware then refuses every CONNECT, session ids included. The Server may also be destroyed
  first: the instrumentation then does nothing until it is destroyed.
*/
class SOCKETIO_EXPORT Instrumentation : public QObject
{
    Q_OBJECT
public:
    /*! Instruments \a server with \a options. When the options are invalid (an auth of type Basic
        without user name or with something that is not a bcrypt hash) or \a server lives in
        another thread, nothing is set up: isValid() is false and errorString() says why, like
        instrument() throws. */
    explicit Instrumentation(SocketIo::Server *server, const SocketIo::AdminOptions &options,
                             QObject *parent = nullptr);
    ~Instrumentation() override;

    /*! Whether the options were accepted and the admin namespace is served. */
    bool isValid() const;
    /*! Why isValid() is false (empty otherwise). */
    QString errorString() const;
    /*! The options in use. */
    SocketIo::AdminOptions options() const;
    /*! The admin namespace (null when not valid). */
    SocketIo::Namespace *adminNamespace() const;
    /*! What `config` announces: EMIT, JOIN, LEAVE, DISCONNECT, MJOIN, MLEAVE, MDISCONNECT (not when
        readonly), AGGREGATED_EVENTS, ALL_EVENTS (development mode). */
    QStringList supportedFeatures() const;
    /*! Sends server_stats now (it is also sent on a timer). */
    void sendServerStats();

    /*! Whether \a hash is a bcrypt hash this library can verify ($2a$/$2b$/$2y$, cost 4 to 31,
        53 characters of salt and digest). */
    static bool isValidPasswordHash(const QByteArray &hash);
    /*! Checks \a password against the bcrypt \a hash (libxcrypt's crypt_r; blocks for the hash's
        cost, about 60 ms at cost 10). False for an invalid hash. */
    static bool verifyPassword(const QString &password, const QByteArray &hash);
    /*! A new bcrypt ($2b$) hash of \a password with cost \a cost (4 to 31), for configuration
        tools; empty on failure. */
    static QByteArray hashPassword(const QString &password, int cost = 10);

private:
    std::unique_ptr<InstrumentationPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(Instrumentation)
    Q_DISABLE_COPY(Instrumentation)
};

} // namespace SocketIo
