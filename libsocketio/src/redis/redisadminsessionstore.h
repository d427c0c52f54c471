#pragma once

#include <SocketIo/adminsessionstore.h>
#include <SocketIo/socketioredis_export.h>

#include <QString>

#include <chrono>
#include <functional>
#include <memory>

namespace SocketIo {

class RedisConnection;
class RedisAdminSessionStorePrivate;

/*!
  An AdminSessionStore in Redis, on the publisher connection of a RedisConnection: the admin
  session ids of every node of a cluster in one place, so that an Admin UI logged in on one node
  is accepted by all of them. It keeps the keys of @socket.io/admin-ui's `RedisStore`, and so
  shares its sessions with Node.js servers whose instrument() uses
  `store: new RedisStore(redisClient)`:

  \list
  \li a session is the key `<prefix>#<sessionId>` (prefix "socket.io-admin" by default) holding
      "true", with a time to live of AdminOptions::sessionDuration (`SET key true EX <seconds>`,
      the state RedisStore's `MULTI SET key true; EXPIRE key <sessionDuration>` leaves);
  \li contains() is `EXISTS key` == 1.
  \endlist

  Note that RedisStore has its own `sessionDuration` option (86400 s by default): give our
  AdminOptions::sessionDuration the same value for sessions of the same length on every node.

  When Redis cannot answer (not connected, connection lost before the reply, an error reply, or
  the RedisConnection destroyed) contains() answers false, with a warning in the `socketio.redis`
  log category: the Admin UI's login then falls back to the user name and password it sends
  along (RedisStore would reject the lookup and fail the connection instead). save() while Redis
  is unreachable is dropped with a warning: that session id is then unknown to every node, and
  a connection presenting it needs the password again.

  \code
  auto *redis = new SocketIo::RedisConnection(redisOptions, &app);
  SocketIo::AdminOptions adminOptions;
  adminOptions.auth = SocketIo::AdminAuth::basic(u"admin"_s, passwordHash);
  adminOptions.sessionStore = std::make_shared<SocketIo::RedisAdminSessionStore>(redis);
  SocketIo::Instrumentation admin(&io, adminOptions);
  \endcode

  Use it on the thread of \a connection (the server's). The store may outlive the connection:
  lookups waiting for Redis then answer false, later ones too, and nothing is saved. Lookups
  still waiting when the store itself is destroyed (with the last Instrumentation using it)
  answer false from the event loop.
*/
class SOCKETIO_REDIS_EXPORT RedisAdminSessionStore : public AdminSessionStore
{
public:
    /*! A store on \a connection with keys `<prefix>#<sessionId>` (RedisStore's `prefix` option). */
    explicit RedisAdminSessionStore(RedisConnection *connection,
                                    const QString &prefix = QStringLiteral("socket.io-admin"));
    ~RedisAdminSessionStore() override;

    void contains(const QString &sessionId, const std::function<void(bool)> &done) override;
    void save(const QString &sessionId, std::chrono::seconds duration) override;

    QString prefix() const;
    /*! The Redis key of \a sessionId: `<prefix>#<sessionId>`. */
    QString key(const QString &sessionId) const;

private:
    std::unique_ptr<RedisAdminSessionStorePrivate> const d_ptr;
    Q_DECLARE_PRIVATE(RedisAdminSessionStore)
};

} // namespace SocketIo
