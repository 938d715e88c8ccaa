"""Drives an OTDS REST server with OpenText's own client, pyxecm's OTDS class, and prints what it got.

Run by test/directory/otds-oracle.test.ts with the python of .tools/pyxecm-venv (scripts/pyxecm-venv.sh).
Usage: otds-oracle.py <step>, with the arguments as JSON on stdin (so no password shows in the process
list); prints one JSON object on stdout.
Steps:
  read     authenticate with user name and password; list users page by page (and through
           get_users_iterator); list groups; read one user and one disabled user by name.
  expired  use a ticket the server has since expired; pyxecm must renew it and read on.
  oauth    authenticate with OAuth2 client credentials and list users with the bearer token.
"""

import json
import logging
import sys

import pyxecm.otds as otds_module
from pyxecm.otds import OTDS

logging.disable(logging.CRITICAL)
# pyxecm waits 20 s before repeating a request after renewing an expired ticket; not here.
otds_module.REQUEST_RETRY_DELAY = 0


def client(args: dict, **auth: str) -> OTDS:
    return OTDS(protocol="http", hostname=args["host"], port=args["port"], **auth)


def attribute(user: dict, name: str) -> list | None:
    if user.get("attributes"):
        return user["attributes"].get(name)
    for value in user.get("values") or []:
        if value["name"] == name:
            return value["values"]
    return None


def read(args: dict) -> dict:
    otds = client(args, username=args["username"], password=args["password"])
    cookie = otds.authenticate()
    pages, cookies, cursor = [], [], None
    while True:
        answer = otds.get_users(partition=args["partition"], page_size=args["pageSize"], next_page_cookie=cursor)
        if answer is None:
            return {"error": "get_users failed", "pages": pages}
        pages.append([user["name"] for user in answer["users"]])
        cursor = answer.get("nextPageCookie")
        if not cursor or len(pages) >= 50:  # a server that ignores the cookie would otherwise loop for ever
            break
        cookies.append(cursor)
    iterated = [user["name"] for user in otds.get_users_iterator(partition=args["partition"], page_size=args["pageSize"])]
    groups = otds.get_groups(partition=args["partition"], page_size=args["pageSize"])
    one = otds.get_user(args["partition"], args["userName"])
    disabled = otds.get_user(args["partition"], args["disabledUserName"])
    missing = otds.get_user(args["partition"], "nobody-by-this-name")
    return {
        "ticket": (cookie or {}).get("OTDSTicket"),
        "pages": pages,
        "cookies": cookies,
        "iterated": iterated,
        "groups": sorted(group["name"] for group in (groups or {}).get("groups", [])),
        "groupsHaveMore": bool((groups or {}).get("nextPageCookie")),
        "user": {"name": one["name"], "id": one["id"], "uuid": one["uuid"], "mail": attribute(one, "mail"), "memberOf": attribute(one, "oTMemberOf")} if one else None,
        "disabled": {"name": disabled["name"], "accountDisabled": attribute(disabled, "accountDisabled")} if disabled else None,
        "missing": missing,
    }


def expired(args: dict) -> dict:
    otds = client(args, username=args["username"], password=args["password"], otds_ticket=args["ticket"])
    answer = otds.get_users(partition=args["partition"], page_size=args["pageSize"])
    return {
        "users": [user["name"] for user in (answer or {}).get("users", [])],
        "renewed": (otds.cookie() or {}).get("OTDSTicket") != args["ticket"],
    }


def oauth(args: dict) -> dict:
    otds = client(args, client_id=args["clientId"], client_secret=args["clientSecret"])
    token = otds.authenticate()
    names = [user["name"] for user in otds.get_users_iterator(partition=args["partition"], page_size=args["pageSize"])]
    return {"token": bool(token), "users": names}


if __name__ == "__main__":
    step, arguments = sys.argv[1], json.loads(sys.stdin.read())
    print(json.dumps({"read": read, "expired": expired, "oauth": oauth}[step](arguments)))
