#pragma once

#include <SocketIo/adminsessionstore.h>
#include <SocketIo/socketio_export.h>

#include <QByteArray>
#include <QString>

#include <chrono>

namespace SocketIo {

/*!
  How the admin namespace checks the Admin UI's CONNECT (the `auth` option of @socket.io/admin-ui's
  instrument()): no check at all, or one user name with a bcrypt hash of the password.
  \code
  SocketIo::AdminOptions options;
  options.auth = SocketIo::AdminAuth::basic(u"admin"_s, "$2b$10$...");   // bcrypt hash, not the password
  \endcode
*/
struct SOCKETIO_EXPORT AdminAuth
{
    enum class Type {
        None,    // auth: false, every CONNECT is accepted (use with care)
        Basic,   // auth: {type: "basic", username, password: <bcrypt hash>}
    };
    Type type = Type::None;
    QString username;
    /*! bcrypt hash ($2a$, $2b$ or $2y$, cost 4 to 31) of the password, e.g. from
        `node -e 'console.log(require("bcryptjs").hashSync("secret", 10))'`. Each login with
        the right user name checks it on the server's thread, which blocks for the hash's cost
        (about 60 ms at cost 10, as CPU-bound as bcryptjs in Node): there is no rate limit, so
        put an exposed admin namespace behind one (a reverse proxy) or keep the cost modest. */
    QByteArray passwordHash;

    /*! Basic authentication with \a username and the bcrypt \a passwordHash. */
    static AdminAuth basic(const QString &username, const QByteArray &passwordHash);
};

/*!
  The options of Instrumentation, named after @socket.io/admin-ui's instrument(io, options)
  (protocol.md 5.1).
*/
struct SOCKETIO_EXPORT AdminOptions
{
    /*! socket.io's `mode`: Production reports only sessions, config and server_stats. */
    enum class Mode { Development, Production };

    /*! The namespace the Admin UI connects to. */
    QString namespaceName = QStringLiteral("/admin");
    /*! Authentication; none by default (the official instrument() insists on an explicit choice). */
    AdminAuth auth;
    /*! No commands (emit, join, leave, _disconnect) are accepted; supportedFeatures says so. */
    bool readonly = false;
    /*! Identifies this server in server_stats (several nodes of a cluster show as several
        servers); empty: the host name, and "<host>#<pid>-<index>" for a worker of
        ServerWorkers (instrument() gives a Node cluster worker "<host>#<pid>"). */
    QString serverId;
    /*! Development reports every socket, room and event; Production only the statistics. */
    Mode mode = Mode::Development;
    /*! How long a session id handed out after a password login stays valid (official: 86400 s). */
    std::chrono::seconds sessionDuration{86400};
    /*! Where the session ids live (instrument()'s `store`); null: an InMemoryAdminSessionStore
        of this Instrumentation's own. Share one store, e.g. RedisAdminSessionStore, between the
        nodes of a cluster so that a session id works on every node. */
    std::shared_ptr<AdminSessionStore> sessionStore;
    /*! How often server_stats is sent (official: 2000 ms, not configurable there). */
    std::chrono::milliseconds statsInterval{2000};
};

} // namespace SocketIo
