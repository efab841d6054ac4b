"""Category APIs: anyone reads the tree, staff change it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.cache import cached
from catalog.categories.errors import CategoryErrorCode
from catalog.categories.models import Category
from catalog.categories.selectors import category_get, category_list, category_tree
from catalog.categories.services import category_create, category_update
from catalog.limits import MAX_INT
from catalog.products.api.serializers import iso
from catalog.products.services import category_delete
from servicekit.api import enveloped, paginated_payload
from servicekit.auth.permissions import IsStaff
from servicekit.openapi import error_codes
from servicekit.params import present_params


def category_representation(category: Category) -> dict[str, Any]:
    return {
        "id": str(category.id),
        "parent": str(category.parent_id) if category.parent_id else None,
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "position": category.position,
        "created_at": iso(category.created_at),
        "updated_at": iso(category.updated_at),
    }


class CategoryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    parent = serializers.UUIDField(allow_null=True)
    name = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField()
    position = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance: Category) -> dict[str, Any]:
        return category_representation(instance)


class CategoryListApi(APIView):
    """The categories as a flat page (``?parent=<id>`` for one level, ``?parent=`` for roots)."""

    api_key_scope = "catalog:read"
    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        parent = serializers.UUIDField(required=False, allow_null=True)

        def to_internal_value(self, data):
            if data.get("parent") == "":
                data = {**data, "parent": None}
            return super().to_internal_value(data)

    OutputSerializer = CategoryOutputSerializer

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        def page() -> dict:
            filters = self.FilterSerializer(data=request.query_params.dict())  # ?parent= means roots
            filters.is_valid(raise_exception=True)
            return paginated_payload(
                queryset=category_list(filters=filters.validated_data),
                request=request,
                view=self,
                serialize=lambda rows: self.OutputSerializer(rows, many=True).data,
            )

        return enveloped(cached(audience="public", url=request.build_absolute_uri(), compute=page))


class CategoryTreeApi(APIView):
    """The whole tree, nested: ``[{…category, "children": [...]}]``."""

    api_key_scope = "catalog:read"
    permission_classes = [AllowAny]
    pagination_class = None  # the whole tree at once

    class OutputSerializer(CategoryOutputSerializer):
        class Meta:
            ref_name = "CategoryTreeOutput"

        children = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        def render(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                {**category_representation(node["category"]), "children": render(node["children"])}
                for node in nodes
            ]

        def tree() -> dict:
            return {"data": render(category_tree())}

        return enveloped(cached(audience="public", url=request.build_absolute_uri(), compute=tree))


class CategoryCreateApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CategoryCreateInput"

        name = serializers.CharField(max_length=120)
        parent = serializers.UUIDField(required=False, allow_null=True, default=None)
        slug = serializers.SlugField(max_length=140, required=False, allow_blank=True)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        position = serializers.IntegerField(required=False, min_value=0, max_value=MAX_INT, default=0)

    OutputSerializer = CategoryOutputSerializer

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        category = category_create(
            name=data["name"],
            parent_id=data["parent"],
            slug=data.get("slug") or None,
            description=data["description"],
            position=data["position"],
        )
        return Response(self.OutputSerializer(category).data, status=status.HTTP_201_CREATED)


class CategoryDetailApi(APIView):
    api_key_scope = "catalog:read"
    permission_classes = [AllowAny]

    OutputSerializer = CategoryOutputSerializer

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, category_id: str) -> Response:
        return Response(self.OutputSerializer(category_get(category_id=category_id)).data)


class CategoryUpdateApi(APIView):
    api_key_scope = "catalog:write"
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CategoryUpdateInput"

        name = serializers.CharField(max_length=120, required=False)
        parent = serializers.UUIDField(required=False, allow_null=True)
        slug = serializers.SlugField(max_length=140, required=False)
        description = serializers.CharField(required=False, allow_blank=True)
        position = serializers.IntegerField(required=False, min_value=0, max_value=MAX_INT)

    OutputSerializer = CategoryOutputSerializer

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def patch(self, request: Request, category_id: str) -> Response:
        category = category_get(category_id=category_id)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = category_update(category=category, data=serializer.validated_data)
        return Response(self.OutputSerializer(category).data)


class CategoryDeleteApi(APIView):
    """Delete a category; a non-empty one answers 409 unless ``?reassign_to=<category id>``."""

    api_key_scope = "catalog:write"
    permission_classes = [IsStaff]

    class FilterSerializer(serializers.Serializer):
        reassign_to = serializers.UUIDField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses={204: None})
    @error_codes({409: [CategoryErrorCode.NOT_EMPTY]})
    def delete(self, request: Request, category_id: str) -> Response:
        category = category_get(category_id=category_id)
        params = self.FilterSerializer(data=present_params(request))  # ?reassign_to= is no target
        params.is_valid(raise_exception=True)
        category_delete(category=category, reassign_to_id=params.validated_data.get("reassign_to"))
        return Response(status=status.HTTP_204_NO_CONTENT)
