#include "disconnectreason.h"

namespace SocketIo {

namespace {
struct ReasonName
{
    DisconnectReason reason;
    const char *name;
};
constexpr ReasonName reasonNames[] = {
    {DisconnectReason::ServerNamespaceDisconnect, "server namespace disconnect"},
    {DisconnectReason::ClientNamespaceDisconnect, "client namespace disconnect"},
    {DisconnectReason::ServerShuttingDown, "server shutting down"},
    {DisconnectReason::PingTimeout, "ping timeout"},
    {DisconnectReason::TransportClose, "transport close"},
    {DisconnectReason::TransportError, "transport error"},
    {DisconnectReason::ParseError, "parse error"},
    {DisconnectReason::ForcedClose, "forced close"},
    {DisconnectReason::ForcedServerClose, "forced server close"},
    {DisconnectReason::IoServerDisconnect, "io server disconnect"},
    {DisconnectReason::IoClientDisconnect, "io client disconnect"},
};
} // namespace

QString reasonString(DisconnectReason reason)
{
    for (const ReasonName &entry : reasonNames) {
        if (entry.reason == reason)
            return QString::fromLatin1(entry.name);
    }
    return QString();
}

DisconnectReason disconnectReasonFromString(const QString &reason, bool *ok)
{
    for (const ReasonName &entry : reasonNames) {
        if (reason == QLatin1String(entry.name)) {
            if (ok)
                *ok = true;
            return entry.reason;
        }
    }
    if (ok)
        *ok = false;
    return DisconnectReason::TransportError;
}

} // namespace SocketIo
