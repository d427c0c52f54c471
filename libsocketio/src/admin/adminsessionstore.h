#pragma once

#include <SocketIo/socketio_export.h>

#include <QString>
#include <QtGlobal>

#include <chrono>
#include <functional>
#include <memory>

namespace SocketIo {

class InMemoryAdminSessionStorePrivate;

/*!
  Where Instrumentation keeps the session ids it hands out after a password login (the `store`
  option of @socket.io/admin-ui's instrument()). The Admin UI sends its session id back on every
  reconnection; with a store shared by all nodes (RedisAdminSessionStore in the Redis library,
  the same keys as the official RedisStore), a UI behind a load balancer, or one that reconnects
  to another node of the cluster, Qt or Node, stays logged in.

  Both functions are called on the thread of the Instrumentation's server. contains() may
  answer later (an asynchronous lookup); it must call \a done exactly once, on that thread.
  \code
  SocketIo::AdminOptions options;
  options.sessionStore = std::make_shared<SocketIo::InMemoryAdminSessionStore>();   // the default
  \endcode
*/
class SOCKETIO_EXPORT AdminSessionStore
{
public:
    AdminSessionStore() = default;
    virtual ~AdminSessionStore();
    Q_DISABLE_COPY_MOVE(AdminSessionStore)
    /*! Calls \a done with whether \a sessionId is a live session. */
    virtual void contains(const QString &sessionId, const std::function<void(bool)> &done) = 0;
    /*! Records the new session \a sessionId, valid for \a duration. */
    virtual void save(const QString &sessionId, std::chrono::seconds duration) = 0;
};

/*!
  The default store: the sessions of one Instrumentation, in memory, forgotten when they expire
  or when the process ends. One instance may be shared by the Instrumentations of several servers
  on the same thread.
*/
class SOCKETIO_EXPORT InMemoryAdminSessionStore : public AdminSessionStore
{
public:
    InMemoryAdminSessionStore();
    ~InMemoryAdminSessionStore() override;
    void contains(const QString &sessionId, const std::function<void(bool)> &done) override;
    void save(const QString &sessionId, std::chrono::seconds duration) override;
    /*! The number of sessions not yet expired. */
    int size() const;

private:
    std::unique_ptr<InMemoryAdminSessionStorePrivate> const d_ptr;
    Q_DECLARE_PRIVATE(InMemoryAdminSessionStore)
};

} // namespace SocketIo
