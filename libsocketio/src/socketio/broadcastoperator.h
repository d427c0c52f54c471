#pragma once

#include <SocketIo/adapter.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/socketio_export.h>

#include <QCborArray>
#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QVariantList>

#include <chrono>
#include <functional>
#include <initializer_list>

namespace SocketIo {

class AckReply;
class Namespace;

/*!
  socket.io's BroadcastOperator: an immutable selection of sockets of one namespace (rooms,
  exclusions, flags) with the actions that apply to them. Every modifier returns a new operator;
  the original is unchanged. Cheap to copy.

  \code
  io.to(u"room1"_s).except(u"room2"_s).timeout(2s).emitWithAck(u"question"_s, {42});
  socket->broadcast().emitEvent(u"hello"_s);      // everyone in the namespace but socket
  \endcode
*/
class SOCKETIO_EXPORT BroadcastOperator
{
public:
    /*! An operator over every socket of \a nsp (what Namespace::to() etc. start from). */
    explicit BroadcastOperator(SocketIo::Namespace *nsp,
                               const SocketIo::BroadcastOptions &options = SocketIo::BroadcastOptions());

    /*! Targets \a room as well (union with rooms targeted so far). */
    BroadcastOperator to(const QString &room) const;
    /*! \overload */
    BroadcastOperator to(const QStringList &rooms) const;
    /*! Same as to(). */
    BroadcastOperator in(const QString &room) const;
    /*! \overload */
    BroadcastOperator in(const QStringList &rooms) const;
    /*! Excludes the sockets in \a room. */
    BroadcastOperator except(const QString &room) const;
    /*! \overload */
    BroadcastOperator except(const QStringList &rooms) const;
    /*! socket.io's `.local`: this server node only. */
    BroadcastOperator local() const;
    /*! socket.io's `.volatile`: recipients that cannot take the packet right now do not get it. */
    BroadcastOperator asVolatile() const;
    /*! socket.io's `.compress(bool)`: with false, the packet's Engine.IO messages ask for no
        HTTP compression of the polling responses that carry them (see Socket::NoCompress), on
        this node and, through a cluster adapter, on the others. */
    BroadcastOperator compress(bool compress) const;
    /*! socket.io's `.timeout(ms)`: required by emitWithAck(). */
    BroadcastOperator timeout(std::chrono::milliseconds timeout) const;

    /*! The options this operator applies. */
    SocketIo::BroadcastOptions options() const;
    SocketIo::Namespace *nsp() const;

    /*! Sends \a event to every selected socket. Returns false (with a warning) for a reserved
        event name or when the namespace is gone. */
    bool emitEvent(const QString &event, const QCborArray &args = QCborArray()) const;
    /*! \overload */
    bool emitEvent(const QString &event, std::initializer_list<QCborValue> args) const;
    /*! \overload */
    bool emitEvent(const QString &event, const QJsonArray &args) const;
    /*! \overload */
    bool emitEvent(const QString &event, const QVariantList &args) const;
    /*! Same as emitEvent(u"message"_s, args). */
    bool send(const QCborArray &args = QCborArray()) const;

    /*! Sends \a event with one ack id to every selected socket and collects the first ack argument
        of each answer into AckReply::responses(). Finishes when every selected socket answered, or
        with Error::Timeout and what arrived when timeout() elapses. Without timeout() it times out
        at once, like socket.io (a warning is logged). Never null. */
    SocketIo::AckReply *emitWithAck(const QString &event, const QCborArray &args = QCborArray()) const;
    /*! \overload */
    SocketIo::AckReply *emitWithAck(const QString &event, std::initializer_list<QCborValue> args) const;

    /*! Delivers the selected sockets (local and, with a cluster adapter, remote) to \a callback,
        always later from the event loop, never synchronously. Not called if \a context is
        destroyed first. */
    void fetchSockets(const QObject *context,
                      const std::function<void(const QList<SocketIo::RemoteSocket> &sockets)> &callback) const;
    /*! Makes the selected sockets join \a rooms. */
    void socketsJoin(const QStringList &rooms) const;
    /*! \overload */
    void socketsJoin(const QString &room) const;
    /*! Makes the selected sockets leave \a rooms. */
    void socketsLeave(const QStringList &rooms) const;
    /*! \overload */
    void socketsLeave(const QString &room) const;
    /*! Disconnects the selected sockets; with \a close also their whole connection. */
    void disconnectSockets(bool close = false) const;

private:
    QPointer<SocketIo::Namespace> m_nsp;
    SocketIo::BroadcastOptions m_options;
};

} // namespace SocketIo
