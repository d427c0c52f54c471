// Helpers shared by the Socket.IO server integration tests.
#pragma once

#include <SocketIo/namespace.h>
#include <SocketIo/server.h>
#include <SocketIo/socket.h>

#include <QHostAddress>
#include <QTest>

#include <memory>

/*! Server options for tests: fast heartbeats (like the protocol test suites), short connect
    timeout unless changed. */
inline SocketIo::ServerOptions sioTestOptions()
{
    SocketIo::ServerOptions options;
    options.pingInterval = std::chrono::milliseconds(300);
    options.pingTimeout = std::chrono::milliseconds(200);
    options.connectTimeout = std::chrono::milliseconds(1000);
    return options;
}

/*! A listening server on a free loopback port. */
inline std::unique_ptr<SocketIo::Server> sioStartServer(const SocketIo::ServerOptions &options = sioTestOptions())
{
    auto server = std::make_unique<SocketIo::Server>(options);
    if (!server->listen(QHostAddress::LocalHost, 0))
        return nullptr;
    return server;
}

/*! Registers the types that QSignalSpy meets in the server's signals. */
inline void sioRegisterMetaTypes()
{
    qRegisterMetaType<SocketIo::DisconnectReason>();
    qRegisterMetaType<SocketIo::Socket *>();
    qRegisterMetaType<SocketIo::Namespace *>();
    qRegisterMetaType<SocketIo::Message>();
}
