// Shared helpers for the tests of our Socket.IO client (integration and interop).
#pragma once

#include <SocketIo/ackreply.h>
#include <SocketIo/client.h>

#include <QTest>

#include <chrono>
#include <memory>

namespace SocketIo::Test {

/*! The three transport rows every client test runs in: columns "polling" and "websocket". */
inline void addTransportRows()
{
    QTest::addColumn<bool>("polling");
    QTest::addColumn<bool>("websocket");
    QTest::newRow("polling only") << true << false;
    QTest::newRow("websocket only") << false << true;
    QTest::newRow("polling upgraded to websocket") << true << true;
}

/*! Client options for the current transport row, with quick reconnection. */
inline SocketIo::ClientOptions rowOptions()
{
    using namespace std::chrono_literals;
    QFETCH(bool, polling);
    QFETCH(bool, websocket);
    SocketIo::ClientOptions options;
    options.polling = polling;
    options.websocket = websocket;
    options.reconnectionDelay = 50ms;
    options.reconnectionDelayMax = 200ms;
    return options;
}

/*! Takes ownership of \a reply so the test can read it after finished(). */
inline std::unique_ptr<SocketIo::AckReply> keep(SocketIo::AckReply *reply)
{
    reply->setAutoDelete(false);
    return std::unique_ptr<SocketIo::AckReply>(reply);
}

} // namespace SocketIo::Test
