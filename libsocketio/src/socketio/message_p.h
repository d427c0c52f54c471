#pragma once

#include <SocketIo/message.h>
#include <SocketIo/clientsocket.h>
#include <SocketIo/socket.h>

#include <QPointer>

namespace SocketIo {

class MessagePrivate
{
public:
    QString event;
    QCborArray args;
    qint64 ackId = -1;
    bool acknowledged = false;
    QPointer<SocketIo::Socket> socket;
    QPointer<SocketIo::ClientSocket> clientSocket;
    /*! For client-side messages: sends the ACK; false if it could not be sent. */
    std::function<bool(const QCborArray &args)> clientAck;

    static Message create(SocketIo::Socket *socket, const QString &event, const QCborArray &args, qint64 ackId);
    /*! A message received by \a socket on the client side; ack() calls \a ack. */
    static Message createForClient(SocketIo::ClientSocket *socket, const QString &event, const QCborArray &args,
                                   qint64 ackId, std::function<bool(const QCborArray &args)> ack);
};

class NextPrivate
{
public:
    std::function<void(bool, const MiddlewareError &)> callback;
    bool called = false;
};

} // namespace SocketIo
