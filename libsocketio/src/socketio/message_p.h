#pragma once

#include <SocketIo/message.h>
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

    static Message create(SocketIo::Socket *socket, const QString &event, const QCborArray &args, qint64 ackId);
};

class NextPrivate
{
public:
    std::function<void(bool, const MiddlewareError &)> callback;
    bool called = false;
};

} // namespace SocketIo
